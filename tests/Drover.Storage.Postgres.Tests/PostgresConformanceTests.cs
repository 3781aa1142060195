using Drover.Core.Storage;
using Drover.Storage.Conformance;
using Drover.Storage.Postgres.Testing;

namespace Drover.Storage.Postgres.Tests;

// Each conformance area against PostgreSQL: a fresh database per test (copied from a migrated template), and a
// second store instance on the same database as another process or host would open it.

public sealed class PostgresInsertTests(PostgresCluster pg) : InsertConformance
{
    private string? _url;

    protected override async Task<IJobStore> CreateStoreAsync() => await PostgresJobStore.OpenAsync(_url = await pg.NewDatabaseAsync(), TestContext.Current.CancellationToken);

    protected override async Task<IJobStore?> OpenSecondInstanceAsync(IJobStore first) => await PostgresJobStore.OpenAsync(_url!, TestContext.Current.CancellationToken);
}

public sealed class PostgresClaimTests(PostgresCluster pg) : ClaimConformance
{
    private string? _url;

    protected override async Task<IJobStore> CreateStoreAsync() => await PostgresJobStore.OpenAsync(_url = await pg.NewDatabaseAsync(), TestContext.Current.CancellationToken);

    protected override async Task<IJobStore?> OpenSecondInstanceAsync(IJobStore first) => await PostgresJobStore.OpenAsync(_url!, TestContext.Current.CancellationToken);
}

public sealed class PostgresLeaseTests(PostgresCluster pg) : LeaseConformance
{
    private string? _url;

    protected override async Task<IJobStore> CreateStoreAsync() => await PostgresJobStore.OpenAsync(_url = await pg.NewDatabaseAsync(), TestContext.Current.CancellationToken);

    protected override async Task<IJobStore?> OpenSecondInstanceAsync(IJobStore first) => await PostgresJobStore.OpenAsync(_url!, TestContext.Current.CancellationToken);
}

public sealed class PostgresDepsTests(PostgresCluster pg) : DepsConformance
{
    private string? _url;

    protected override async Task<IJobStore> CreateStoreAsync() => await PostgresJobStore.OpenAsync(_url = await pg.NewDatabaseAsync(), TestContext.Current.CancellationToken);

    protected override async Task<IJobStore?> OpenSecondInstanceAsync(IJobStore first) => await PostgresJobStore.OpenAsync(_url!, TestContext.Current.CancellationToken);
}

public sealed class PostgresLocksTests(PostgresCluster pg) : LocksConformance
{
    private string? _url;

    protected override async Task<IJobStore> CreateStoreAsync() => await PostgresJobStore.OpenAsync(_url = await pg.NewDatabaseAsync(), TestContext.Current.CancellationToken);

    protected override async Task<IJobStore?> OpenSecondInstanceAsync(IJobStore first) => await PostgresJobStore.OpenAsync(_url!, TestContext.Current.CancellationToken);
}

public sealed class PostgresCapabilitiesTests(PostgresCluster pg) : CapabilitiesConformance
{
    private string? _url;

    protected override async Task<IJobStore> CreateStoreAsync() => await PostgresJobStore.OpenAsync(_url = await pg.NewDatabaseAsync(), TestContext.Current.CancellationToken);

    protected override async Task<IJobStore?> OpenSecondInstanceAsync(IJobStore first) => await PostgresJobStore.OpenAsync(_url!, TestContext.Current.CancellationToken);
}

public sealed class PostgresEventsTests(PostgresCluster pg) : EventsConformance
{
    private string? _url;

    protected override async Task<IJobStore> CreateStoreAsync() => await PostgresJobStore.OpenAsync(_url = await pg.NewDatabaseAsync(), TestContext.Current.CancellationToken);

    protected override async Task<IJobStore?> OpenSecondInstanceAsync(IJobStore first) => await PostgresJobStore.OpenAsync(_url!, TestContext.Current.CancellationToken);
}

public sealed class PostgresListingTests(PostgresCluster pg) : ListingConformance
{
    private string? _url;

    protected override async Task<IJobStore> CreateStoreAsync() => await PostgresJobStore.OpenAsync(_url = await pg.NewDatabaseAsync(), TestContext.Current.CancellationToken);

    protected override async Task<IJobStore?> OpenSecondInstanceAsync(IJobStore first) => await PostgresJobStore.OpenAsync(_url!, TestContext.Current.CancellationToken);
}

public sealed class PostgresOperatorTests(PostgresCluster pg) : OperatorConformance
{
    private string? _url;

    protected override async Task<IJobStore> CreateStoreAsync() => await PostgresJobStore.OpenAsync(_url = await pg.NewDatabaseAsync(), TestContext.Current.CancellationToken);

    protected override async Task<IJobStore?> OpenSecondInstanceAsync(IJobStore first) => await PostgresJobStore.OpenAsync(_url!, TestContext.Current.CancellationToken);
}

public sealed class PostgresPauseTests(PostgresCluster pg) : PauseConformance
{
    private string? _url;

    protected override async Task<IJobStore> CreateStoreAsync() => await PostgresJobStore.OpenAsync(_url = await pg.NewDatabaseAsync(), TestContext.Current.CancellationToken);

    protected override async Task<IJobStore?> OpenSecondInstanceAsync(IJobStore first) => await PostgresJobStore.OpenAsync(_url!, TestContext.Current.CancellationToken);
}

public sealed class PostgresRescueTests(PostgresCluster pg) : RescueConformance
{
    private string? _url;

    protected override async Task<IJobStore> CreateStoreAsync() => await PostgresJobStore.OpenAsync(_url = await pg.NewDatabaseAsync(), TestContext.Current.CancellationToken);

    protected override async Task<IJobStore?> OpenSecondInstanceAsync(IJobStore first) => await PostgresJobStore.OpenAsync(_url!, TestContext.Current.CancellationToken);
}

public sealed class PostgresSpendTests(PostgresCluster pg) : SpendConformance
{
    private string? _url;

    protected override async Task<IJobStore> CreateStoreAsync() => await PostgresJobStore.OpenAsync(_url = await pg.NewDatabaseAsync(), TestContext.Current.CancellationToken);

    protected override async Task<IJobStore?> OpenSecondInstanceAsync(IJobStore first) => await PostgresJobStore.OpenAsync(_url!, TestContext.Current.CancellationToken);
}

public sealed class PostgresWorkersTests(PostgresCluster pg) : WorkersConformance
{
    private string? _url;

    protected override async Task<IJobStore> CreateStoreAsync() => await PostgresJobStore.OpenAsync(_url = await pg.NewDatabaseAsync(), TestContext.Current.CancellationToken);

    protected override async Task<IJobStore?> OpenSecondInstanceAsync(IJobStore first) => await PostgresJobStore.OpenAsync(_url!, TestContext.Current.CancellationToken);
}

public sealed class PostgresGatewayStateTests(PostgresCluster pg) : GatewayStateConformance
{
    private string? _url;

    protected override async Task<IJobStore> CreateStoreAsync() => await PostgresJobStore.OpenAsync(_url = await pg.NewDatabaseAsync(), TestContext.Current.CancellationToken);

    protected override async Task<IJobStore?> OpenSecondInstanceAsync(IJobStore first) => await PostgresJobStore.OpenAsync(_url!, TestContext.Current.CancellationToken);
}

public sealed class PostgresGcTests(PostgresCluster pg) : GcConformance
{
    private string? _url;

    protected override async Task<IJobStore> CreateStoreAsync() => await PostgresJobStore.OpenAsync(_url = await pg.NewDatabaseAsync(), TestContext.Current.CancellationToken);

    protected override async Task<IJobStore?> OpenSecondInstanceAsync(IJobStore first) => await PostgresJobStore.OpenAsync(_url!, TestContext.Current.CancellationToken);
}

public sealed class PostgresLogTests(PostgresCluster pg) : LogConformance
{
    private string? _url;

    protected override async Task<IJobStore> CreateStoreAsync() => await PostgresJobStore.OpenAsync(_url = await pg.NewDatabaseAsync(), TestContext.Current.CancellationToken);

    protected override async Task<IJobStore?> OpenSecondInstanceAsync(IJobStore first) => await PostgresJobStore.OpenAsync(_url!, TestContext.Current.CancellationToken);
}

public sealed class PostgresAlertsTests(PostgresCluster pg) : AlertsConformance
{
    private string? _url;

    protected override async Task<IJobStore> CreateStoreAsync() => await PostgresJobStore.OpenAsync(_url = await pg.NewDatabaseAsync(), TestContext.Current.CancellationToken);

    protected override async Task<IJobStore?> OpenSecondInstanceAsync(IJobStore first) => await PostgresJobStore.OpenAsync(_url!, TestContext.Current.CancellationToken);
}

public sealed class PostgresReportQueriesTests(PostgresCluster pg) : ReportQueriesConformance
{
    private string? _url;

    protected override async Task<IJobStore> CreateStoreAsync() => await PostgresJobStore.OpenAsync(_url = await pg.NewDatabaseAsync(), TestContext.Current.CancellationToken);

    protected override async Task<IJobStore?> OpenSecondInstanceAsync(IJobStore first) => await PostgresJobStore.OpenAsync(_url!, TestContext.Current.CancellationToken);
}

public sealed class PostgresMaxRunningTests(PostgresCluster pg) : MaxRunningConformance
{
    private string? _url;

    protected override async Task<IJobStore> CreateStoreAsync() => await PostgresJobStore.OpenAsync(_url = await pg.NewDatabaseAsync(), TestContext.Current.CancellationToken);

    protected override async Task<IJobStore?> OpenSecondInstanceAsync(IJobStore first) => await PostgresJobStore.OpenAsync(_url!, TestContext.Current.CancellationToken);
}

public sealed class PostgresBreakerTests(PostgresCluster pg) : BreakerConformance
{
    private string? _url;

    protected override async Task<IJobStore> CreateStoreAsync() => await PostgresJobStore.OpenAsync(_url = await pg.NewDatabaseAsync(), TestContext.Current.CancellationToken);

    protected override async Task<IJobStore?> OpenSecondInstanceAsync(IJobStore first) => await PostgresJobStore.OpenAsync(_url!, TestContext.Current.CancellationToken);
}

public sealed class PostgresHostGateTests(PostgresCluster pg) : HostGateConformance
{
    private string? _url;

    protected override async Task<IJobStore> CreateStoreAsync() => await PostgresJobStore.OpenAsync(_url = await pg.NewDatabaseAsync(), TestContext.Current.CancellationToken);

    protected override async Task<IJobStore?> OpenSecondInstanceAsync(IJobStore first) => await PostgresJobStore.OpenAsync(_url!, TestContext.Current.CancellationToken);
}

public sealed class PostgresHeldVerdictTests(PostgresCluster pg) : HeldVerdictConformance
{
    protected override async Task<IJobStore> CreateStoreAsync() => await PostgresJobStore.OpenAsync(await pg.NewDatabaseAsync(), TestContext.Current.CancellationToken);
}

public sealed class PostgresApprovalsTests(PostgresCluster pg) : ApprovalsConformance
{
    private string? _url;

    protected override async Task<IJobStore> CreateStoreAsync() => await PostgresJobStore.OpenAsync(_url = await pg.NewDatabaseAsync(), TestContext.Current.CancellationToken);

    protected override async Task<IJobStore?> OpenSecondInstanceAsync(IJobStore first) => await PostgresJobStore.OpenAsync(_url!, TestContext.Current.CancellationToken);
}

public sealed class PostgresSchedulesTests(PostgresCluster pg) : SchedulesConformance
{
    private string? _url;

    protected override async Task<IJobStore> CreateStoreAsync() => await PostgresJobStore.OpenAsync(_url = await pg.NewDatabaseAsync(), TestContext.Current.CancellationToken);

    protected override async Task<IJobStore?> OpenSecondInstanceAsync(IJobStore first) => await PostgresJobStore.OpenAsync(_url!, TestContext.Current.CancellationToken);
}

public sealed class PostgresWebhooksTests(PostgresCluster pg) : WebhooksConformance
{
    private string? _url;

    protected override async Task<IJobStore> CreateStoreAsync() => await PostgresJobStore.OpenAsync(_url = await pg.NewDatabaseAsync(), TestContext.Current.CancellationToken);

    protected override async Task<IJobStore?> OpenSecondInstanceAsync(IJobStore first) => await PostgresJobStore.OpenAsync(_url!, TestContext.Current.CancellationToken);
}

public sealed class PostgresDeliveryTests(PostgresCluster pg) : DeliveryConformance
{
    private string? _url;

    protected override async Task<IJobStore> CreateStoreAsync() => await PostgresJobStore.OpenAsync(_url = await pg.NewDatabaseAsync(), TestContext.Current.CancellationToken);

    protected override async Task<IJobStore?> OpenSecondInstanceAsync(IJobStore first) => await PostgresJobStore.OpenAsync(_url!, TestContext.Current.CancellationToken);
}

public sealed class PostgresProposalsTests(PostgresCluster pg) : ProposalsConformance
{
    private string? _url;

    protected override async Task<IJobStore> CreateStoreAsync() => await PostgresJobStore.OpenAsync(_url = await pg.NewDatabaseAsync(), TestContext.Current.CancellationToken);

    protected override async Task<IJobStore?> OpenSecondInstanceAsync(IJobStore first) => await PostgresJobStore.OpenAsync(_url!, TestContext.Current.CancellationToken);
}

public sealed class PostgresForgeEchoTests(PostgresCluster pg) : ForgeEchoConformance
{
    private string? _url;

    protected override async Task<IJobStore> CreateStoreAsync() => await PostgresJobStore.OpenAsync(_url = await pg.NewDatabaseAsync(), TestContext.Current.CancellationToken);

    protected override async Task<IJobStore?> OpenSecondInstanceAsync(IJobStore first) => await PostgresJobStore.OpenAsync(_url!, TestContext.Current.CancellationToken);
}
