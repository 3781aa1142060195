using Drover.Core.Storage;
using Drover.Storage.Conformance;
using Drover.Storage.Postgres.Testing;

namespace Drover.Storage.Postgres.Tests;

public sealed class PostgresWorkerRestartTests(PostgresCluster pg) : WorkerRestartConformance
{
    private string? _url;

    protected override async Task<IJobStore> CreateStoreAsync() => await PostgresJobStore.OpenAsync(_url = await pg.NewDatabaseAsync(), TestContext.Current.CancellationToken);

    protected override async Task<IJobStore?> OpenSecondInstanceAsync(IJobStore first) => await PostgresJobStore.OpenAsync(_url!, TestContext.Current.CancellationToken);
}
