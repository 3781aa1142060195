namespace Drover.Core.Configuration;

public sealed partial record DroverConfig
{
    /// <summary>The commented <c>drover.toml</c> that <c>drover init</c> writes; every value shown is the default.</summary>
    public const string DefaultToml = """
        # Drover configuration. Every setting below is optional; the values shown are the defaults.
        # Durations are like 90s, 45m, 2h, 1d or 1h30m.

        [server]
        # bind = "127.0.0.1"           # keep the API on loopback unless you mean to expose it; any other address
                                       # needs TLS below (or serve --insecure-bind: token and cookies in clear text)
        # port = 8731
        # max_streams = 200            # open event/log streams at once; one more gets 503 with Retry-After
        # tls_cert = "tls/cert.pem"    # PEM certificate and key (relative to the home): serve HTTPS; both or neither
        # tls_key = "tls/key.pem"

        [worker]
        # name = "laptop"              # default: the host name (serve), <host>-worker (worker)
        # slots = 2                    # concurrent attempts on this host (serve --slots 0: API only)
        # lease_ttl = "30s"            # a silent worker loses its jobs this long after its last renewal
        # heartbeat = "10s"
        # kill_grace = "10s"           # SIGTERM, then SIGKILL after this long
        # capabilities = ["has:docker", "node=20.11.1"]

        [fleet]
        # max_running = 0              # running jobs across all workers; 0 = unlimited. serve stores it at start and
                                       # every worker's claims obey the value the last serve started with
        # min_free_memory = "0"        # e.g. "512MB": no new claims below this much available memory (MemAvailable)
        # min_free_disk = "2GB"        # no new claims below this much free space on the home's filesystem; "0" = off
        # no_engine_after = "1h"       # a job whose engine no live worker has fails no_engine after this; "0s" = never
        # (not a setting) an engine with 4 of its last 5 attempts failed for the engine stops for 1m, doubling to 30m

        [workspaces]
        # keep = "failed"              # worktrees kept after a job ends: none | failed | all (drover gc removes kept ones)

        [sandbox]
        # mode = "auto"                # auto: confine every attempt where bubblewrap works here | required: a host that cannot claims nothing | off
        # network = "gateway"          # gateway: only Drover's gateway (default for engines that use it, else open) | none | open
        # read_only = []               # extra paths the agent sees read-only, e.g. ["~/.npmrc"] (the rest of the user's home is hidden)
        # read_write = []              # extra paths the agent may write, beyond its worktree and run home
        # bwrap = "/usr/bin/bwrap"     # the bubblewrap binary (Debian: apt-get install bubblewrap)
        # pass_env = []                # variables of Drover's environment the agent gets (nothing else of it reaches the agent)

        [gc]
        # retention = "30d"            # drover gc deletes succeeded/failed/cancelled jobs unchanged for longer than this
        # batch = 500                  # jobs per transaction

        [report]
        # uptime_target = 0.95         # drover report: a day is at target when the fleet could take work this share of it
        # capacity_target = 0.60       # busy slot time over available slot time the window must reach
        # days = 30                    # the report's window, and the days of history "Next phase: READY" needs

        # An engine's settings (claude, codex, gemini, opencode, qwen, aider), or a custom engine.
        # [engines.codex]
        # path = "/opt/tools/codex"    # default: found on PATH
        # args = ["-c", "model_provider=local"]
        # env = { LOCAL_API_KEY = "..." }
        # model = "gpt-5.5"
        # max_concurrency = 2
        #
        # [engines.mytool]
        # command = ["mytool", "--prompt-file", "{prompt_file}", "--cwd", "{workspace}", "--model", "{model}"]
        # usage = "drover"             # drover | claude | codex | opencode | qwen | none

        # Prices in USD per million tokens, used when an engine reports tokens but no cost (codex, qwen,
        # gemini). A run of a model not listed here keeps cost_source = "unknown"; nothing is guessed.
        # [prices."gpt-5.5"]
        # input = 1.25
        # cached_input = 0.125
        # cache_write = 0.0
        # output = 10.0

        # The OpenAI-compatible gateway (drover serve, /v1) and the providers it routes to, in cascade order.
        # [gateway]
        # enabled = false
        # first_byte_timeout = "60s"   # no response headers this soon: try the next provider
        # idle_timeout = "120s"        # a stream silent this long is cut
        # max_retry_after = "10s"      # longest Retry-After waited for on the last provider
        #
        # [[providers]]
        # name = "local"
        # kind = "openai"              # openai | anthropic
        # base_url = "http://127.0.0.1:11434/v1"
        # models = ["qwen2.5:14b"]
        # api_key_env = "LOCAL_KEY"    # or api_key_secret = "NAME" from `drover secret`
        # price = { input = 0.0, output = 0.0 }
        #
        # [routes.default]
        # cascade = ["local"]          # a client asking for model "default" tries these in order

        # Tool approvals: what an agent may do without asking (claude only; needs [gateway] enabled). Each rule is
        # "ACTION TOOL" or { tool = "...", action = "..." }; ACTION is allow | ask | deny. TOOL: Bash(git push*) (a glob
        # over the command), Edit(src/**) (over the path; also Write, MultiEdit, NotebookEdit, Read), WebFetch,
        # mcp__server__tool. Matching rules: deny beats ask beats allow; a call no rule matches is allowed. A job's or
        # profile's `approvals` add to these and cannot loosen them. An ask waits for `drover approve-tool`.
        [approvals]
        # rules = []                   # e.g. ["ask Bash(git push*)", "deny WebFetch", { tool = "Edit(.github/**)", action = "ask" }]
        # timeout = "10m"              # an ask nobody answers this soon is denied (decided_by "timeout")

        # Git hosts of repos given by URL: Drover's own git fetches https URLs of this host with the token from
        # the secret store (never the agent's). kind = github | gitea; base_url for GitHub Enterprise or a Gitea server.
        # [[forges]]
        # host = "github.com"
        # kind = "github"
        # token_secret = "GITHUB_TOKEN"  # drover secret set GITHUB_TOKEN

        # Forge webhooks: POST /hooks/github and /hooks/gitea, checked by HMAC-SHA256 with the secret named here
        # (`drover secret set NAME VALUE`) instead of the bearer token. An endpoint without a secret answers 404.
        # [webhooks]
        # github_secret = "GITHUB_WEBHOOK"
        # gitea_secret = "GITEA_WEBHOOK"
        #
        # Issues of a forge repository that carry `label` become jobs keyed github:owner/name#N, run in `path`.
        # Labels priority:high, engine:codex, profile:NAME set those fields; closing the issue cancels a queued job.
        # [[trackers]]
        # kind = "github"              # github | gitea
        # repo = "acme/app"
        # label = "drover"
        # path = "/srv/repos/app"      # the repository the jobs run in: a local path or a git URL
        # profile = "issues"           # optional; default: the "default" profile
        # host = "github.com"          # the [[forges]] entry whose API and token polling and status comments use
        #                              # (default: github.com for github, the one gitea forge for gitea; none: webhooks only)
        # poll = "5m"                  # how often serve lists the labelled issues; "off": webhooks only
        # With a forge, each job's issue gets a comment when it starts and when it ends, and one of the labels
        # drover:queued, drover:running, drover:done, drover:failed.

        # Delivery of a succeeded job whose spec says deliver = "push" | "pr" | "pr_draft": the home that ran it pushes
        # drover/<id> (never forced) and opens or updates its pull request through the host's [[forges]] API. Failures
        # that may pass are tried again (backoff doubling, at most 30 min); a delivery failure never fails the job.
        # [delivery]
        # remote = "origin"            # the remote a local repo pushes to (a URL repo pushes to its URL)
        # link = "https://drover.example.com/#/jobs/{id}"   # the job's address in pull requests and comments
        # max_tries = 8
        # backoff = "15s"
        # max_followups = 3            # follow-up jobs per pull request from failed checks and change requests

        # Job defaults. A job names a profile with `profile = "NAME"`; "default" applies when it names none.
        # Precedence: the job's own keys, then the profile, then built-in defaults.
        # [profiles.default]
        # engine = "claude"
        # timeout = "60m"
        # verify = "make test"
        # persona = "You are a careful engineer. Keep changes small and run the tests."
        # retry = { max_attempts = 3, backoff = "30s" }
        # labels = { team = "core" }

        # Schedules: each tick of `cron` (5 fields, or 6 with seconds first) in `timezone` submits the job that the
        # schedule's job table describes (any spec keys); one job per tick across every serve of a fleet. Overlap
        # "skip" makes no job while the previous one is unfinished ("queue" always makes one); catch-up "once" runs one
        # job for the ticks missed while no serve ran ("skip": none). Synced into the store at serve start; see
        # `drover schedule ls`.
        # [[schedules]]
        # name = "nightly-deps"
        # cron = "0 3 * * *"
        # timezone = "Europe/Berlin"   # IANA name; default UTC
        # overlap = "skip"
        # catch_up = "once"
        # [schedules.job]
        # repo = "/srv/app"
        # prompt = "Update the dependencies and fix what breaks."

        # Proposals: a job may print `DROVER_PROPOSE {json spec}` lines; when its attempt succeeds each becomes a job
        # blocked until a person accepts or rejects it (drover proposals). Same key (or same spec) → one job.
        # [proposals]
        # remember = "30d"             # a rejected proposal's key is not proposed again for this long
        # max_per_day = 20             # proposals taken per UTC day, fleet-wide; the rest are dropped

        """;
}
