using Drover.Core.Storage;
using Drover.Storage.Conformance;

namespace Drover.Storage.Sqlite.Tests;

// Each conformance area against SQLite: a temp file per test, a second store instance on the same file as a second process would open it.

public sealed class SqliteInsertTests : InsertConformance
{
    private readonly SqliteTestDatabase _db = new();

    protected override Task<IJobStore> CreateStoreAsync() => _db.OpenAsync();

    protected override async Task<IJobStore?> OpenSecondInstanceAsync(IJobStore first) => await _db.OpenAsync();

    protected override ValueTask CleanupAsync() => _db.DeleteAsync();
}

public sealed class SqliteClaimTests : ClaimConformance
{
    private readonly SqliteTestDatabase _db = new();

    protected override Task<IJobStore> CreateStoreAsync() => _db.OpenAsync();

    protected override async Task<IJobStore?> OpenSecondInstanceAsync(IJobStore first) => await _db.OpenAsync();

    protected override ValueTask CleanupAsync() => _db.DeleteAsync();
}

public sealed class SqliteLeaseTests : LeaseConformance
{
    private readonly SqliteTestDatabase _db = new();

    protected override Task<IJobStore> CreateStoreAsync() => _db.OpenAsync();

    protected override async Task<IJobStore?> OpenSecondInstanceAsync(IJobStore first) => await _db.OpenAsync();

    protected override ValueTask CleanupAsync() => _db.DeleteAsync();
}

public sealed class SqliteRescueTests : RescueConformance
{
    private readonly SqliteTestDatabase _db = new();

    protected override Task<IJobStore> CreateStoreAsync() => _db.OpenAsync();

    protected override async Task<IJobStore?> OpenSecondInstanceAsync(IJobStore first) => await _db.OpenAsync();

    protected override ValueTask CleanupAsync() => _db.DeleteAsync();
}

public sealed class SqliteDepsTests : DepsConformance
{
    private readonly SqliteTestDatabase _db = new();

    protected override Task<IJobStore> CreateStoreAsync() => _db.OpenAsync();

    protected override async Task<IJobStore?> OpenSecondInstanceAsync(IJobStore first) => await _db.OpenAsync();

    protected override ValueTask CleanupAsync() => _db.DeleteAsync();
}

public sealed class SqliteLocksTests : LocksConformance
{
    private readonly SqliteTestDatabase _db = new();

    protected override Task<IJobStore> CreateStoreAsync() => _db.OpenAsync();

    protected override async Task<IJobStore?> OpenSecondInstanceAsync(IJobStore first) => await _db.OpenAsync();

    protected override ValueTask CleanupAsync() => _db.DeleteAsync();
}

public sealed class SqliteCapabilitiesTests : CapabilitiesConformance
{
    private readonly SqliteTestDatabase _db = new();

    protected override Task<IJobStore> CreateStoreAsync() => _db.OpenAsync();

    protected override async Task<IJobStore?> OpenSecondInstanceAsync(IJobStore first) => await _db.OpenAsync();

    protected override ValueTask CleanupAsync() => _db.DeleteAsync();
}

public sealed class SqlitePauseTests : PauseConformance
{
    private readonly SqliteTestDatabase _db = new();

    protected override Task<IJobStore> CreateStoreAsync() => _db.OpenAsync();

    protected override async Task<IJobStore?> OpenSecondInstanceAsync(IJobStore first) => await _db.OpenAsync();

    protected override ValueTask CleanupAsync() => _db.DeleteAsync();
}

public sealed class SqliteEventsTests : EventsConformance
{
    private readonly SqliteTestDatabase _db = new();

    protected override Task<IJobStore> CreateStoreAsync() => _db.OpenAsync();

    protected override async Task<IJobStore?> OpenSecondInstanceAsync(IJobStore first) => await _db.OpenAsync();

    protected override ValueTask CleanupAsync() => _db.DeleteAsync();
}

public sealed class SqliteWorkersTests : WorkersConformance
{
    private readonly SqliteTestDatabase _db = new();

    protected override Task<IJobStore> CreateStoreAsync() => _db.OpenAsync();

    protected override async Task<IJobStore?> OpenSecondInstanceAsync(IJobStore first) => await _db.OpenAsync();

    protected override ValueTask CleanupAsync() => _db.DeleteAsync();
}

public sealed class SqliteOperatorTests : OperatorConformance
{
    private readonly SqliteTestDatabase _db = new();

    protected override Task<IJobStore> CreateStoreAsync() => _db.OpenAsync();

    protected override async Task<IJobStore?> OpenSecondInstanceAsync(IJobStore first) => await _db.OpenAsync();

    protected override ValueTask CleanupAsync() => _db.DeleteAsync();
}

public sealed class SqliteListingTests : ListingConformance
{
    private readonly SqliteTestDatabase _db = new();

    protected override Task<IJobStore> CreateStoreAsync() => _db.OpenAsync();

    protected override async Task<IJobStore?> OpenSecondInstanceAsync(IJobStore first) => await _db.OpenAsync();

    protected override ValueTask CleanupAsync() => _db.DeleteAsync();
}

public sealed class SqliteSpendTests : SpendConformance
{
    private readonly SqliteTestDatabase _db = new();

    protected override Task<IJobStore> CreateStoreAsync() => _db.OpenAsync();

    protected override async Task<IJobStore?> OpenSecondInstanceAsync(IJobStore first) => await _db.OpenAsync();

    protected override ValueTask CleanupAsync() => _db.DeleteAsync();
}

public sealed class SqliteGatewayStateTests : GatewayStateConformance
{
    private readonly SqliteTestDatabase _db = new();

    protected override Task<IJobStore> CreateStoreAsync() => _db.OpenAsync();

    protected override async Task<IJobStore?> OpenSecondInstanceAsync(IJobStore first) => await _db.OpenAsync();

    protected override ValueTask CleanupAsync() => _db.DeleteAsync();
}

public sealed class SqliteGcTests : GcConformance
{
    private readonly SqliteTestDatabase _db = new();

    protected override Task<IJobStore> CreateStoreAsync() => _db.OpenAsync();

    protected override async Task<IJobStore?> OpenSecondInstanceAsync(IJobStore first) => await _db.OpenAsync();

    protected override ValueTask CleanupAsync() => _db.DeleteAsync();
}

public sealed class SqliteLogTests : LogConformance
{
    private readonly SqliteTestDatabase _db = new();

    protected override Task<IJobStore> CreateStoreAsync() => _db.OpenAsync();

    protected override async Task<IJobStore?> OpenSecondInstanceAsync(IJobStore first) => await _db.OpenAsync();

    protected override ValueTask CleanupAsync() => _db.DeleteAsync();
}

public sealed class SqliteAlertsTests : AlertsConformance
{
    private readonly SqliteTestDatabase _db = new();

    protected override Task<IJobStore> CreateStoreAsync() => _db.OpenAsync();

    protected override async Task<IJobStore?> OpenSecondInstanceAsync(IJobStore first) => await _db.OpenAsync();

    protected override ValueTask CleanupAsync() => _db.DeleteAsync();
}

public sealed class SqliteReportQueriesTests : ReportQueriesConformance
{
    private readonly SqliteTestDatabase _db = new();

    protected override Task<IJobStore> CreateStoreAsync() => _db.OpenAsync();

    protected override async Task<IJobStore?> OpenSecondInstanceAsync(IJobStore first) => await _db.OpenAsync();

    protected override ValueTask CleanupAsync() => _db.DeleteAsync();
}

public sealed class SqliteMaxRunningTests : MaxRunningConformance
{
    private readonly SqliteTestDatabase _db = new();

    protected override Task<IJobStore> CreateStoreAsync() => _db.OpenAsync();

    protected override async Task<IJobStore?> OpenSecondInstanceAsync(IJobStore first) => await _db.OpenAsync();

    protected override ValueTask CleanupAsync() => _db.DeleteAsync();
}

public sealed class SqliteBreakerTests : BreakerConformance
{
    private readonly SqliteTestDatabase _db = new();

    protected override Task<IJobStore> CreateStoreAsync() => _db.OpenAsync();

    protected override async Task<IJobStore?> OpenSecondInstanceAsync(IJobStore first) => await _db.OpenAsync();

    protected override ValueTask CleanupAsync() => _db.DeleteAsync();
}

public sealed class SqliteHostGateTests : HostGateConformance
{
    private readonly SqliteTestDatabase _db = new();

    protected override Task<IJobStore> CreateStoreAsync() => _db.OpenAsync();

    protected override async Task<IJobStore?> OpenSecondInstanceAsync(IJobStore first) => await _db.OpenAsync();

    protected override ValueTask CleanupAsync() => _db.DeleteAsync();
}

public sealed class SqliteHeldVerdictTests : HeldVerdictConformance
{
    private readonly SqliteTestDatabase _db = new();

    protected override Task<IJobStore> CreateStoreAsync() => _db.OpenAsync();

    protected override ValueTask CleanupAsync() => _db.DeleteAsync();
}

public sealed class SqliteApprovalsTests : ApprovalsConformance
{
    private readonly SqliteTestDatabase _db = new();

    protected override Task<IJobStore> CreateStoreAsync() => _db.OpenAsync();

    protected override async Task<IJobStore?> OpenSecondInstanceAsync(IJobStore first) => await _db.OpenAsync();

    protected override ValueTask CleanupAsync() => _db.DeleteAsync();
}

public sealed class SqliteSchedulesTests : SchedulesConformance
{
    private readonly SqliteTestDatabase _db = new();

    protected override Task<IJobStore> CreateStoreAsync() => _db.OpenAsync();

    protected override async Task<IJobStore?> OpenSecondInstanceAsync(IJobStore first) => await _db.OpenAsync();

    protected override ValueTask CleanupAsync() => _db.DeleteAsync();
}

public sealed class SqliteWebhooksTests : WebhooksConformance
{
    private readonly SqliteTestDatabase _db = new();

    protected override Task<IJobStore> CreateStoreAsync() => _db.OpenAsync();

    protected override async Task<IJobStore?> OpenSecondInstanceAsync(IJobStore first) => await _db.OpenAsync();

    protected override ValueTask CleanupAsync() => _db.DeleteAsync();
}

public sealed class SqliteDeliveryTests : DeliveryConformance
{
    private readonly SqliteTestDatabase _db = new();

    protected override Task<IJobStore> CreateStoreAsync() => _db.OpenAsync();

    protected override async Task<IJobStore?> OpenSecondInstanceAsync(IJobStore first) => await _db.OpenAsync();

    protected override ValueTask CleanupAsync() => _db.DeleteAsync();
}

public sealed class SqliteProposalsTests : ProposalsConformance
{
    private readonly SqliteTestDatabase _db = new();

    protected override Task<IJobStore> CreateStoreAsync() => _db.OpenAsync();

    protected override async Task<IJobStore?> OpenSecondInstanceAsync(IJobStore first) => await _db.OpenAsync();

    protected override ValueTask CleanupAsync() => _db.DeleteAsync();
}

public sealed class SqliteForgeEchoTests : ForgeEchoConformance
{
    private readonly SqliteTestDatabase _db = new();

    protected override Task<IJobStore> CreateStoreAsync() => _db.OpenAsync();

    protected override async Task<IJobStore?> OpenSecondInstanceAsync(IJobStore first) => await _db.OpenAsync();

    protected override ValueTask CleanupAsync() => _db.DeleteAsync();
}
