using Drover.Core.Jobs;
using Drover.Core.Storage;

namespace Drover.Storage.Conformance;

/// <summary>Counts per state and the paged, filtered job list.</summary>
public abstract class ListingConformance : StoreConformanceBase
{
    [Fact]
    public async Task JobCounts_EmptyStore_EveryStateZero()
    {
        var store = await NewStoreAsync();

        var counts = await store.JobCountsAsync(Ct);

        counts.Keys.ShouldBe(Enum.GetValues<JobState>(), ignoreOrder: true);
        counts.Values.ShouldAllBe(c => c == 0);
    }

    [Fact]
    public async Task JobCounts_MixedStates_CountsEach()
    {
        var store = await NewStoreAsync();
        for (var i = 0; i < 4; i++)
            await SubmitAsync(store, $"j{i}");
        var running = await ClaimAsync(store, At(1), max: 2);
        await SucceedAsync(store, running[0], At(2));

        var counts = await store.JobCountsAsync(Ct);

        counts[JobState.Queued].ShouldBe(2);
        counts[JobState.Running].ShouldBe(1);
        counts[JobState.Succeeded].ShouldBe(1);
        counts[JobState.Failed].ShouldBe(0);
    }

    [Fact]
    public async Task JobList_ThreePages_NewestFirstWithCursor()
    {
        var store = await NewStoreAsync();
        var ids = new List<long>();
        for (var i = 0; i < 7; i++)
            ids.Add((await SubmitAsync(store, $"j{i}")).Id);

        var p1 = await store.JobListAsync(new JobListParams(Limit: 3), Ct);
        var p2 = await store.JobListAsync(new JobListParams(Limit: 3, Cursor: p1.NextCursor), Ct);
        var p3 = await store.JobListAsync(new JobListParams(Limit: 3, Cursor: p2.NextCursor), Ct);

        p1.Jobs.Concat(p2.Jobs).Concat(p3.Jobs).Select(j => j.Id).ShouldBe(Enumerable.Reverse(ids));
        p1.NextCursor.ShouldBe(p1.Jobs[^1].Id);
        p3.Jobs.Count.ShouldBe(1);
        p3.NextCursor.ShouldBeNull();
    }

    [Fact]
    public async Task JobList_ExactlyOnePage_NoNextCursor()
    {
        var store = await NewStoreAsync();
        for (var i = 0; i < 3; i++)
            await SubmitAsync(store, $"j{i}");

        var page = await store.JobListAsync(new JobListParams(Limit: 3), Ct);

        page.Jobs.Count.ShouldBe(3);
        page.NextCursor.ShouldBeNull();
    }

    [Fact]
    public async Task JobList_StateFilter_ReturnsOnlyThatState()
    {
        var store = await NewStoreAsync();
        await SubmitAsync(store, "a");
        var b = await SubmitAsync(store, "b", priority: 90);
        await ClaimOneAsync(store, At(1));

        var running = await store.JobListAsync(new JobListParams(State: JobState.Running), Ct);

        running.Jobs.ShouldHaveSingleItem().Id.ShouldBe(b.Id);
    }

    [Fact]
    public async Task JobList_LabelFilter_MatchesKeyAndValue()
    {
        var store = await NewStoreAsync();
        var core = await SubmitAsync(store, Spec("a", labels: new Dictionary<string, string> { ["team"] = "core" }));
        var web = await SubmitAsync(store, Spec("b", labels: new Dictionary<string, string> { ["team"] = "web" }));
        await SubmitAsync(store, Spec("c"));

        var byValue = await store.JobListAsync(new JobListParams(LabelKey: "team", LabelValue: "core"), Ct);
        var byKey = await store.JobListAsync(new JobListParams(LabelKey: "team"), Ct);

        byValue.Jobs.ShouldHaveSingleItem().Id.ShouldBe(core.Id);
        byKey.Jobs.Select(j => j.Id).ShouldBe([web.Id, core.Id]);
    }

    [Fact]
    public async Task JobList_EngineFilter_ReturnsOnlyThatEngine()
    {
        var store = await NewStoreAsync();
        await SubmitAsync(store, Spec("a", engine: "shell"));
        var claude = await SubmitAsync(store, Spec("b", engine: "claude"));

        var page = await store.JobListAsync(new JobListParams(Engine: "claude"), Ct);

        page.Jobs.ShouldHaveSingleItem().Id.ShouldBe(claude.Id);
        (await store.JobListAsync(new JobListParams(Engine: "codex"), Ct)).Jobs.ShouldBeEmpty();
    }

    [Fact]
    public async Task JobList_TextFilter_MatchesTitleIgnoringCaseAndTakesWildcardsLiterally()
    {
        var store = await NewStoreAsync();
        var fix = await SubmitAsync(store, Spec("Fix the Login page"));
        var percent = await SubmitAsync(store, Spec("raise coverage to 100%_now"));
        await SubmitAsync(store, Spec("refactor storage"));
        await SubmitAsync(store, Spec("raise coverage to 1000 now"));

        var login = await store.JobListAsync(new JobListParams(Text: "LOGIN"), Ct);
        var literal = await store.JobListAsync(new JobListParams(Text: "100%_"), Ct);
        var none = await store.JobListAsync(new JobListParams(Text: "deploy"), Ct);

        login.Jobs.ShouldHaveSingleItem().Id.ShouldBe(fix.Id);
        literal.Jobs.ShouldHaveSingleItem().Id.ShouldBe(percent.Id);
        none.Jobs.ShouldBeEmpty();
    }

    [Fact]
    public async Task JobList_TextAndStateFiltersWithCursor_PagesThroughOnlyMatches()
    {
        var store = await NewStoreAsync();
        var matches = new List<long>();
        for (var i = 0; i < 5; i++)
        {
            matches.Add((await SubmitAsync(store, Spec($"nightly build {i}"))).Id);
            await SubmitAsync(store, Spec($"other {i}"));
        }

        var p1 = await store.JobListAsync(new JobListParams(State: JobState.Queued, Limit: 3, Engine: "shell", Text: "Nightly"), Ct);
        var p2 = await store.JobListAsync(new JobListParams(State: JobState.Queued, Limit: 3, Cursor: p1.NextCursor, Engine: "shell", Text: "Nightly"), Ct);

        p1.Jobs.Concat(p2.Jobs).Select(j => j.Id).ShouldBe(Enumerable.Reverse(matches));
        p2.NextCursor.ShouldBeNull();
    }

    [Fact]
    public async Task JobList_WithoutSpec_RowsCarryEverythingButTheSpec()
    {
        var store = await NewStoreAsync();
        var job = await SubmitAsync(store, Spec("with a spec", labels: new Dictionary<string, string> { ["team"] = "core" }));

        var full = (await store.JobListAsync(new JobListParams(), Ct)).Jobs.ShouldHaveSingleItem();
        var light = (await store.JobListAsync(new JobListParams(WithSpec: false), Ct)).Jobs.ShouldHaveSingleItem();

        full.SpecJson.ShouldBe(job.SpecJson);
        light.SpecJson.ShouldBe("{}");
        (light.Id, light.Title, light.State, light.Engine, light.SpecHash, light.CreatedAt).ShouldBe((full.Id, full.Title, full.State, full.Engine, full.SpecHash, full.CreatedAt));
        light.Labels.ShouldBe(full.Labels);
    }

    [Fact]
    public async Task AttemptList_TwoAttempts_OrderedByNumber()
    {
        var store = await NewStoreAsync();
        var job = await SubmitAsync(store);
        await FailAsync(store, await ClaimOneAsync(store, At(1), "w1"), now: At(2));
        await ClaimOneAsync(store, At(3600), "w2");

        var attempts = await store.AttemptListAsync(job.Id, Ct);

        attempts.Select(a => (a.N, a.Worker, a.State)).ShouldBe([(1, "w1", "failed"), (2, "w2", "running")]);
        attempts[0].Class.ShouldBe(FailureClass.Crash);
    }
}
