using Drover.Core;
using Drover.Core.Configuration;
using Drover.Core.Jobs;
using Drover.Core.Specs;
using Drover.Server.Proposals;

namespace Drover.IntegrationTests.Proposals;

/// <summary>How a proposal's JSON becomes a job spec: repo defaulted, key taken out, invalid specs said why.</summary>
public sealed class ProposalReaderTests : IDisposable
{
    private readonly DirectoryInfo _repo = Directory.CreateTempSubdirectory("drover-proposer-");

    public void Dispose() => _repo.Delete(recursive: true);

    private static ProposalReader Reader(int maxPerDay = 20) =>
        new(SpecParseContext.For, new ProposalsConfig { MaxPerDay = maxPerDay, Remember = TimeSpan.FromDays(7) });

    private JobRecord Proposer()
    {
        var spec = new JobSpec { Title = "scout", Prompt = "look", Engine = "shell", CommandLine = "true", Repo = _repo.FullName };
        var json = JobSpecJson.Serialize(spec);
        return new JobRecord { Id = 7, Title = "scout", State = JobState.Running, Priority = 50, Engine = "shell", SpecJson = json, SpecHash = JobSpecJson.Hash(json), CreatedAt = DateTimeOffset.UnixEpoch, UpdatedAt = DateTimeOffset.UnixEpoch, NextEligibleAt = DateTimeOffset.UnixEpoch };
    }

    [Fact]
    public void Draft_WithoutRepoOrKey_TakesTheProposersRepoAndAKeyFromTheSpecHash()
    {
        var draft = Reader().Draft("""{"title":"fix","prompt":"fix it","command":"true"}""", _repo.FullName);

        draft.Spec.Repo.ShouldBe(_repo.FullName);
        draft.Spec.Key.ShouldBeNull();
        draft.Key.ShouldBe(ProposalReader.KeyPrefix + JobSpecJson.Hash(draft.SpecJson));
        draft.SpecHash.ShouldBe(JobSpecJson.Hash(draft.SpecJson));
    }

    [Fact]
    public void Draft_SameSpecTwice_SameKey_OwnKeyIsKeptOutOfTheJob()
    {
        var a = Reader().Draft("""{"title":"fix","prompt":"fix it","command":"true"}""", _repo.FullName);
        var b = Reader().Draft("""{"prompt":"fix it","command":"true","title":"fix"}""", _repo.FullName);
        var keyed = Reader().Draft("""{"title":"fix","prompt":"fix it","command":"true","key":" deps:lodash "}""", _repo.FullName);

        b.Key.ShouldBe(a.Key);
        keyed.Key.ShouldBe("deps:lodash");
        keyed.Spec.Key.ShouldBeNull();
        keyed.SpecHash.ShouldBe(a.SpecHash);
    }

    [Theory]
    [InlineData("""{"title":"x","prompt":"p","engine":"no such engine!"}""", "engine")]
    [InlineData("""{"title":"x","prompt":"p","command":"true","after":["1"]}""", "after")]
    [InlineData("""{"title":"x","prompt":"p","command":"true","key":5}""", "key")]
    [InlineData("""{"title":"x","prompt":"p","command":"true","no_such_field":1}""", "no_such_field")]
    [InlineData("""{"title":"x","prompt":"p","command":"true","repo":"relative/dir"}""", "repo")]
    public void Read_InvalidSpec_IsReportedWithTheReason_OthersStillTaken(string bad, string mentioned)
    {
        var (batch, invalid) = Reader(5).Read(Proposer(), [bad, """{"title":"good","prompt":"p","command":"true"}"""]);

        batch.Drafts.ShouldHaveSingleItem().Spec.Title.ShouldBe("good");
        batch.MaxPerDay.ShouldBe(5);
        batch.Remember.ShouldBe(TimeSpan.FromDays(7));
        var problem = invalid.ShouldHaveSingleItem();
        problem.Title.ShouldBe("x");
        problem.Reason.ShouldContain(mentioned);
    }

    [Fact]
    public void Read_SameProposalTwice_OneDraft()
    {
        var fix = """{"title":"fix","prompt":"fix it","command":"true"}""";

        var (batch, invalid) = Reader().Read(Proposer(), [fix, fix]);

        batch.Drafts.Count.ShouldBe(1);
        invalid.ShouldBeEmpty();
    }

    [Fact]
    public void Draft_NotAnObject_IsBadInput() =>
        Should.Throw<JobSpecException>(() => Reader().Draft("[1]", _repo.FullName)).Message.ShouldContain("JSON object");
}
