[assembly: AssemblyFixture(typeof(Drover.Storage.Postgres.Testing.PostgresCluster))]
