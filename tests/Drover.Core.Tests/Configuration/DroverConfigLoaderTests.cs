using Drover.Core.Configuration;
using Drover.Core.Tests.Specs;

namespace Drover.Core.Tests.Configuration;

public sealed class DroverConfigLoaderTests
{
    [Fact]
    public async Task LoadAsync_MissingFile_GivesDefaults()
    {
        using var dir = new TempDir();
        var config = await DroverConfigLoader.LoadAsync(dir.Path, TestContext.Current.CancellationToken);
        config.ShouldBe(DroverConfig.Default);
        config.Server.Bind.ShouldBe("127.0.0.1");
        config.Server.Port.ShouldBe(8731);
        config.Worker.Slots.ShouldBe(2);
        config.Worker.LeaseTtl.ShouldBe(TimeSpan.FromSeconds(30));
        config.Worker.Heartbeat.ShouldBe(TimeSpan.FromSeconds(10));
        config.Worker.KillGrace.ShouldBe(TimeSpan.FromSeconds(10));
        config.Fleet.MaxRunning.ShouldBe(0);
        config.Fleet.MinFreeMemoryBytes.ShouldBe(0);
    }

    [Fact]
    public async Task LoadAsync_ReadsHomeDroverToml()
    {
        using var dir = new TempDir();
        dir.File("drover.toml", "[server]\nport = 9000\n");
        var config = await DroverConfigLoader.LoadAsync(dir.Path, TestContext.Current.CancellationToken);
        config.Server.Port.ShouldBe(9000);
        config.Source.ShouldBe(Path.Combine(dir.Path, "drover.toml"));
    }

    [Fact]
    public void Parse_DefaultToml_GivesDefaults()
    {
        var config = DroverConfigLoader.Parse(DroverConfig.DefaultToml);
        config.Server.ShouldBe(new ServerConfig());
        config.Worker.ShouldBe(new WorkerConfig());
        config.Fleet.ShouldBe(new FleetConfig());
        config.Engines.ShouldBeEmpty();
        config.Profiles.ShouldBeEmpty();
        config.Report.ShouldBe(new ReportConfig { UptimeTarget = 0.95, CapacityTarget = 0.60, Days = 30 });
    }

    [Fact]
    public void Parse_Report_TargetsAndDays()
    {
        var config = DroverConfigLoader.Parse("[report]\nuptime_target = 0.99\ncapacity_target = 1\ndays = 7\n");
        config.Report.ShouldBe(new ReportConfig { UptimeTarget = 0.99, CapacityTarget = 1.0, Days = 7 });
    }

    [Fact]
    public void Parse_DefaultTomlUncommented_IsValidAndMatchesDefaults()
    {
        // Every "# key = value" line in the template, uncommented, must load: the template cannot drift from the loader.
        var setting = new System.Text.RegularExpressions.Regex(@"^# (\[|[a-z_]+ = )");
        var lines = DroverConfig.DefaultToml.Split('\n').Select(l => setting.IsMatch(l) ? l[2..] : l);
        var config = DroverConfigLoader.Parse(string.Join('\n', lines));
        config.Server.ShouldBe(new ServerConfig { TlsCert = "tls/cert.pem", TlsKey = "tls/key.pem" });
        config.Worker.Slots.ShouldBe(2);
        config.Worker.LeaseTtl.ShouldBe(TimeSpan.FromSeconds(30));
        config.Engines.Keys.ShouldBe(["codex", "mytool"]);
        config.Profiles["default"]["engine"]!.GetValue<string>().ShouldBe("claude");
        config.Report.ShouldBe(new ReportConfig());
        config.Fleet.MinFreeDiskBytes.ShouldBe(2L << 30);
        config.Workspaces.Keep.ShouldBe(WorkspaceKeep.Failed);
    }

    [Fact]
    public void Parse_FleetDiskGateAndWorkspacesKeep_Typed()
    {
        var config = DroverConfigLoader.Parse("[fleet]\nmin_free_memory = \"512MB\"\nmin_free_disk = \"0\"\n\n[workspaces]\nkeep = \"none\"\n");

        config.Fleet.MinFreeMemoryBytes.ShouldBe(512L << 20);
        config.Fleet.MinFreeDiskBytes.ShouldBe(0);
        config.Workspaces.Keep.ShouldBe(WorkspaceKeep.None);
        DroverConfigLoader.Parse("").Fleet.MinFreeDiskBytes.ShouldBe(2L << 30);
        DroverConfigLoader.Parse("[workspaces]\nkeep = \"all\"\n").Workspaces.Keep.ShouldBe(WorkspaceKeep.All);
    }

    [Fact]
    public void Parse_Sandbox_TypedWithHomeExpandedAndDefaults()
    {
        var config = DroverConfigLoader.Parse("""
            [sandbox]
            mode = "required"
            network = "none"
            read_only = ["~/.npmrc", "/opt/tools"]
            read_write = ["/srv/cache/"]
            pass_env = ["HTTPS_PROXY"]
            """);

        config.Sandbox.Mode.ShouldBe(SandboxMode.Required);
        config.Sandbox.Network.ShouldBe(SandboxNetwork.None);
        config.Sandbox.ReadOnly.ShouldBe([Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".npmrc"), "/opt/tools"]);
        config.Sandbox.ReadWrite.ShouldBe(["/srv/cache"]);
        config.Sandbox.PassEnv.ShouldBe(["HTTPS_PROXY"]);
        DroverConfigLoader.Parse("").Sandbox.ShouldBe(new SandboxConfig());
        DroverConfigLoader.Parse("").Sandbox.Mode.ShouldBe(SandboxMode.Auto);
    }

    [Theory]
    [InlineData("mode = \"sometimes\"", "sandbox.mode", "not one of auto, required, off")]
    [InlineData("network = \"internet\"", "sandbox.network", "not one of gateway, none, open")]
    [InlineData("read_only = [\"relative/path\"]", "sandbox.read_only", "not an absolute path")]
    [InlineData("pass_env = [\"A=B\"]", "sandbox.pass_env", "not a variable name")]
    [InlineData("writable = []", "sandbox.writable", "")]
    public void Parse_SandboxBadValue_NamesTheKey(string line, string key, string rule)
    {
        var e = Should.Throw<DroverConfigException>(() => DroverConfigLoader.Parse("[sandbox]\n" + line + "\n"));

        e.Message.ShouldContain(key);
        e.Message.ShouldContain(rule);
    }

    [Fact]
    public void Parse_Prices_PerModelWithCacheDefaultsToInput()
    {
        var config = DroverConfigLoader.Parse("""
            [prices."gpt-5.5"]
            input = 1.25
            cached_input = 0.125
            output = 10

            [prices.local-model]
            input = 0
            output = 0
            """);

        config.Prices["gpt-5.5"].ShouldBe(new ModelPrice(1.25m, 0.125m, 1.25m, 10m));
        config.Prices["local-model"].ShouldBe(new ModelPrice(0m, 0m, 0m, 0m));
    }

    [Theory]
    [InlineData("[prices.m]\ninput = -1\noutput = 1", "prices.m.input")]
    [InlineData("[prices.m]\ninput = \"cheap\"\noutput = 1", "prices.m.input")]
    [InlineData("[prices.m]\ninput = 1", "prices.m.output")]
    [InlineData("[prices.m]\ninput = 1\noutput = 1\nsurcharge = 2", "surcharge")]
    [InlineData("[prices.m]\ninput = 1\noutput = inf", "prices.m.output")]
    public void Parse_BadPrice_NamesTheKey(string toml, string named)
    {
        var e = Should.Throw<DroverConfigException>(() => DroverConfigLoader.Parse(toml));
        e.Message.ShouldContain(named);
    }

    [Fact]
    public void ModelPrice_Apply_PricesOnlyUnknownCostsOfListedModels()
    {
        var prices = new Dictionary<string, ModelPrice> { ["m"] = new(2m, 0.5m, 2.5m, 8m) };
        var tokens = new Drover.Core.Jobs.UsageRecord(1_000_000, 2_000_000, 500_000, 0m, "unknown", "m") { CacheWriteTokens = 400_000, ReasoningTokens = 100_000 };

        var priced = ModelPrice.Apply(tokens, prices);
        priced.CostSource.ShouldBe("priced");
        priced.CostUsd.ShouldBe(2m + 1m + 1m + 4m, "reasoning is part of output and is not priced twice");

        ModelPrice.Apply(tokens with { CostUsd = 0.5m, CostSource = "reported" }, prices).CostUsd.ShouldBe(0.5m);
        ModelPrice.Apply(tokens with { Model = "other" }, prices).CostSource.ShouldBe("unknown");
        ModelPrice.Apply(Drover.Core.Jobs.UsageRecord.Empty with { Model = "m" }, prices).CostSource.ShouldBe("unknown", "no tokens: nothing to price");
    }

    [Fact]
    public void Parse_GatewayProvidersRoutes_AreTyped()
    {
        var config = DroverConfigLoader.Parse("""
            [gateway]
            enabled = true
            first_byte_timeout = "5s"

            [[providers]]
            name = "local"
            base_url = "http://127.0.0.1:11434/v1"
            models = ["qwen2.5:14b"]
            rpm = 60
            price = { input = 0.5, output = 1.5 }

            [[providers]]
            name = "cloud"
            kind = "anthropic"
            base_url = "https://api.example.com"
            models = ["big-model"]
            api_key_secret = "CLOUD_KEY"

            [routes.default]
            cascade = ["local", "cloud"]
            """);

        config.Gateway.Enabled.ShouldBeTrue();
        config.Gateway.FirstByteTimeout.ShouldBe(TimeSpan.FromSeconds(5));
        config.Providers.Select(p => p.Name).ShouldBe(["local", "cloud"]);
        config.Providers[0].Kind.ShouldBe("openai");
        config.Providers[0].Rpm.ShouldBe(60);
        config.Providers[0].Price.ShouldBe(new ModelPrice(0.5m, 0.5m, 0.5m, 1.5m));
        config.Providers[1].Price.ShouldBeNull("unpriced, not free");
        config.Routes["default"].Cascade.ShouldBe(["local", "cloud"]);
    }

    [Theory]
    [InlineData("[[providers]]\nname = \"a\"\nbase_url = \"ftp://x\"\nmodels = [\"m\"]", "providers[0].base_url")]
    [InlineData("[[providers]]\nname = \"a\"\nkind = \"grpc\"\nbase_url = \"http://x\"\nmodels = [\"m\"]", "providers[0].kind")]
    [InlineData("[[providers]]\nname = \"a\"\nbase_url = \"http://x\"\nmodels = []", "providers[0].models")]
    [InlineData("[[providers]]\nname = \"a\"\nbase_url = \"http://x\"\nmodels = [\"m\"]\n[[providers]]\nname = \"a\"\nbase_url = \"http://y\"\nmodels = [\"m\"]", "providers[1].name")]
    [InlineData("[[providers]]\nname = \"a\"\nbase_url = \"http://x\"\nmodels = [\"m\"]\n[routes.default]\ncascade = [\"a\", \"nope\"]", "routes.default.cascade")]
    [InlineData("[[providers]]\nname = \"a\"\nbase_url = \"http://x\"\nmodels = [\"m\"]\napi_key_secret = \"cloud-key\"", "providers[0].api_key_secret: \"cloud-key\" is not a secret name")]
    [InlineData("[gateway]\nenabled = \"yes\"", "gateway.enabled")]
    public void Parse_BadGatewayConfig_NamesTheKey(string toml, string key) =>
        Should.Throw<DroverConfigException>(() => DroverConfigLoader.Parse(toml)).Message.ShouldContain(key);

    [Fact]
    public void Parse_AllSections_AreTyped()
    {
        var config = DroverConfigLoader.Parse("""
            [server]
            bind = "0.0.0.0"
            port = 8800

            [worker]
            name = "box-1"
            slots = 4
            lease_ttl = "2s"
            heartbeat = 1
            kill_grace = "1m30s"
            capabilities = ["has:docker", "node=20.11.1"]

            [fleet]
            max_running = 10
            min_free_memory = "512MB"

            [engines.codex]
            path = "/opt/tools/codex"
            args = ["-c", "model_provider=local"]
            env = { LOCAL_API_KEY = "k" }
            model = "gpt-5.5"
            max_concurrency = 2

            [engines.mytool]
            command = ["mytool", "--prompt-file", "{prompt_file}"]
            usage = "drover"

            [profiles.careful]
            engine = "claude"
            stall-timeout = "30m"
            retry = { max_attempts = 5 }

            [gateway]
            enabled = true

            [[providers]]
            name = "local"
            base_url = "http://127.0.0.1:11434/v1"
            models = ["m"]

            [budgets]
            daily_usd = 20.0
            labels = { "team=core" = 5.0 }

            [[alerts.sinks]]
            kind = "webhook"
            url = "http://127.0.0.1:9000/hook"

            [[alerts.sinks]]
            kind = "ntfy"
            url_secret = "NTFY_URL"
            token_env = "NTFY_TOKEN"
            timeout = "3s"

            [alerts]
            cooldown = "15m"
            stall_after = "20m"
            """);
        config.Server.ShouldBe(new ServerConfig { Bind = "0.0.0.0", Port = 8800 });
        config.Worker.Name.ShouldBe("box-1");
        config.Worker.Slots.ShouldBe(4);
        config.Worker.LeaseTtl.ShouldBe(TimeSpan.FromSeconds(2));
        config.Worker.Heartbeat.ShouldBe(TimeSpan.FromSeconds(1));
        config.Worker.KillGrace.ShouldBe(TimeSpan.FromSeconds(90));
        config.Worker.Capabilities.ShouldBe(["has:docker", "node=20.11.1"]);
        config.Fleet.ShouldBe(new FleetConfig { MaxRunning = 10, MinFreeMemoryBytes = 512L * 1024 * 1024 });
        var codex = config.Engines["codex"];
        codex.Path.ShouldBe("/opt/tools/codex");
        codex.Args.ShouldBe(["-c", "model_provider=local"]);
        codex.Env["LOCAL_API_KEY"].ShouldBe("k");
        codex.Model.ShouldBe("gpt-5.5");
        codex.MaxConcurrency.ShouldBe(2);
        config.Engines["mytool"].Command.ShouldBe(["mytool", "--prompt-file", "{prompt_file}"]);
        config.Engines["mytool"].Usage.ShouldBe("drover");
        config.Gateway.Enabled.ShouldBeTrue();
        config.Providers.Single().Name.ShouldBe("local");
        config.Budgets.DailyUsd.ShouldBe(20.0m);
        config.Budgets.Labels.ShouldBe(new Dictionary<string, decimal> { ["team=core"] = 5.0m });
        config.Alerts.Cooldown.ShouldBe(TimeSpan.FromMinutes(15));
        config.Alerts.StallAfter.ShouldBe(TimeSpan.FromMinutes(20));
        config.Alerts.CrashLoopRestarts.ShouldBe(5);
        config.Alerts.Sinks.Count.ShouldBe(2);
        config.Alerts.Sinks[0].ShouldBe(new AlertSinkConfig { Kind = "webhook", Url = "http://127.0.0.1:9000/hook" });
        config.Alerts.Sinks[1].ShouldBe(new AlertSinkConfig { Kind = "ntfy", UrlSecret = "NTFY_URL", TokenEnv = "NTFY_TOKEN", Timeout = TimeSpan.FromSeconds(3) });
        config.Reserved.Keys.ShouldBeEmpty();
    }

    [Theory]
    [InlineData("[[alerts.sinks]]\nkind = \"pager\"\nurl = \"http://127.0.0.1/\"", "alerts.sinks[0].kind")]
    [InlineData("[[alerts.sinks]]\nkind = \"slack\"", "alerts.sinks[0].url: give exactly one")]
    [InlineData("[[alerts.sinks]]\nkind = \"slack\"\nurl = \"ftp://x/\"", "alerts.sinks[0].url: is not an http(s) URL")]
    [InlineData("[[alerts.sinks]]\nkind = \"slack\"\nurl_env = \"U\"\ntoken_env = \"T\"", "alerts.sinks[0].token_env: only an ntfy sink")]
    [InlineData("[[alerts.sinks]]\nkind = \"slack\"\nurl_secret = \"slack-hook\"", "alerts.sinks[0].url_secret: \"slack-hook\" is not a secret name")]
    [InlineData("[[alerts.sinks]]\nkind = \"ntfy\"\nurl_env = \"U\"\ntoken_secret = \"ntfy-token\"", "alerts.sinks[0].token_secret: \"ntfy-token\" is not a secret name")]
    [InlineData("[alerts]\ncooldown = \"soon\"", "alerts.cooldown")]
    [InlineData("[alerts]\nsinks = 3", "alerts.sinks: expected [[alerts.sinks]]")]
    [InlineData("[alerts]\npager = 1", "alerts.pager: unknown key")]
    public void Parse_BadAlerts_NamesTheKey(string toml, string expected) =>
        Should.Throw<DroverConfigException>(() => DroverConfigLoader.Parse(toml)).Message.ShouldContain(expected);

    [Fact]
    public void Parse_Profiles_FeedTheSpecParser()
    {
        using var dir = new TempDir();
        var config = DroverConfigLoader.Parse("[profiles.careful]\nengine = \"claude\"\nstall-timeout = \"30m\"\nretry = { max_attempts = 5 }\nlabels = { tier = 1 }\n");
        var spec = JobSpecParser.ParseObject(new JsonObject { ["prompt"] = "p", ["profile"] = "careful" }, config.SpecContext(dir.Path));
        spec.Engine.ShouldBe("claude");
        spec.StallTimeout.ShouldBe(TimeSpan.FromMinutes(30));
        spec.Retry.MaxAttempts.ShouldBe(5);
        spec.Labels["tier"].ShouldBe("1");
    }

    [Theory]
    [InlineData("[sever]\nport = 1\n", "drover.toml:1: sever: unknown key")]
    [InlineData("[server]\nport = 1\nbogus = 2\n", "drover.toml:3: server.bogus: unknown key")]
    [InlineData("[worker]\n\nslot = 2\n", "drover.toml:3: worker.slot: unknown key")]
    [InlineData("[fleet]\nmax_runing = 1\n", "fleet.max_runing: unknown key")]
    [InlineData("[engines.codex]\npth = \"x\"\n", "drover.toml:2: engines.codex.pth: unknown key")]
    [InlineData("[profiles.x]\ntmeout = \"5m\"\n", "drover.toml:2: profiles.x.tmeout: unknown key \"tmeout\"")]
    [InlineData("[profiles.x]\nretry = { bogus = 1 }\n", "profiles.x.retry: unknown key \"retry.bogus\"")]
    [InlineData("[profiles.x]\nprofile = \"y\"\n", "cannot name another profile")]
    [InlineData("[server]\nport = \"8731\"\n", "server.port: expected an integer, got a string")]
    [InlineData("[server]\nport = 70000\n", "server.port: 70000 is out of range (1..65535)")]
    [InlineData("[server]\nbind = \"my host\"\n", "is not an IP address")]
    [InlineData("[server]\ntls_cert = \"c.pem\"\n", "server.tls_key: tls_cert and tls_key go together")]
    [InlineData("[worker]\nslots = -1\n", "worker.slots: -1 is out of range")]
    [InlineData("[worker]\nlease_ttl = \"0s\"\n", "worker.lease_ttl: \"0s\" is out of range (1s..1h)")]
    [InlineData("[worker]\nheartbeat = \"soon\"\n", "expected a duration")]
    [InlineData("[worker]\ncapabilities = \"x\"\n", "expected an array of strings")]
    [InlineData("[worker]\ncapabilities = [\"node >= 2\"]\n", "is not a capability")]
    [InlineData("[fleet]\nmin_free_memory = \"lots\"\n", "expected a size")]
    [InlineData("[fleet]\nmin_free_disk = \"plenty\"\n", "fleet.min_free_disk: expected a size")]
    [InlineData("[workspaces]\nkeep = \"some\"\n", "workspaces.keep: \"some\" is not one of none, failed, all")]
    [InlineData("[workspaces]\nmode = \"x\"\n", "workspaces.mode")]
    [InlineData("[engines.Codex]\npath = \"x\"\n", "is not a valid engine name")]
    [InlineData("[engines.x]\nusage = \"magic\"\n", "is not one of drover, claude")]
    [InlineData("[engines.x]\ncommand = \"x\"\n", "engines.x.command: expected an array of strings")]
    [InlineData("[engines.x]\ncommand = []\n", "engines.x.command: must not be empty")]
    [InlineData("[engines.x]\ncommand = [\"\", \"{prompt_file}\"]\n", "engines.x.command: must not be empty")]
    [InlineData("[engines.x]\ncommand = [\"x\"]\nusage = \"gemini\"\n", "engines.x.usage: \"gemini\" is not one of drover, claude, codex, opencode, qwen, none")]
    [InlineData("[engines.codex]\nusage = \"codex\"\n", "engines.codex.usage: only applies to a custom engine")]
    [InlineData("[engines.shell]\ncommand = [\"x\"]\n", "engines.shell.command: the shell engine takes its command from each job")]
    [InlineData("[report]\nuptime_target = 95\n", "drover.toml:2: report.uptime_target: 95 is out of range (a share from 0 to 1")]
    [InlineData("[report]\ncapacity_target = -0.1\n", "report.capacity_target: -0.1 is out of range")]
    [InlineData("[report]\nuptime_target = \"95%\"\n", "report.uptime_target: expected a number from 0 to 1 (like 0.95), got a string")]
    [InlineData("[report]\ndays = 0\n", "report.days: 0 is out of range (1..366)")]
    [InlineData("[report]\nday = 7\n", "report.day: unknown key")]
    [InlineData("server = 5\n", "server: expected a table, got an integer")]
    [InlineData("[server]\nport = 1\nport = 2\n", "invalid TOML")]
    [InlineData("[server\n", "drover.toml:1: invalid TOML")]
    public void Parse_BadConfig_NamesLocationAndRule(string toml, string contains) =>
        Should.Throw<DroverConfigException>(() => DroverConfigLoader.Parse(toml)).Message.ShouldContain(contains);

    [Theory]
    [InlineData("\"0\"", 0)]
    [InlineData("1024", 1024)]
    [InlineData("\"1k\"", 1024)]
    [InlineData("\"2 GB\"", 2L << 30)]
    [InlineData("\"3GiB\"", 3L << 30)]
    [InlineData("\"1T\"", 1L << 40)]
    public void Parse_MinFreeMemory_AcceptsSizes(string value, long bytes) =>
        DroverConfigLoader.Parse($"[fleet]\nmin_free_memory = {value}\n").Fleet.MinFreeMemoryBytes.ShouldBe(bytes);
}
