using Drover.Core.Storage;
using Drover.Storage.Conformance;

namespace Drover.Storage.Sqlite.Tests;

public sealed class SqliteWorkerRestartTests : WorkerRestartConformance
{
    private readonly SqliteTestDatabase _db = new();

    protected override Task<IJobStore> CreateStoreAsync() => _db.OpenAsync();

    protected override async Task<IJobStore?> OpenSecondInstanceAsync(IJobStore first) => await _db.OpenAsync();

    protected override ValueTask CleanupAsync() => _db.DeleteAsync();
}
