using Drover.Engines.Processes;
using Drover.Engines.Tests.Support;

namespace Drover.Engines.Tests.Processes;

/// <summary>A scratch directory and an attempt-style log for process runner tests.</summary>
public abstract class ProcessTestBase : IDisposable
{
    protected ProcessTestBase()
    {
        Dir = new TempDir();
        Log = new LineLog(Dir.Combine("log"));
    }

    /// <summary>
    /// Shell text that starts a grandchild ignoring SIGTERM (an ignored signal stays ignored across exec) and
    /// writes its pid to the file named by $1 once the ignore is in place.
    /// </summary>
    protected const string StubbornGrandchild =
        "sh -c 'trap \"\" TERM; echo $$ > \"$1\"; exec sleep 1000' grandchild \"$1\" & ";

    /// <summary>Shell text that waits until the file named by $1 is written.</summary>
    protected const string AwaitPidFile = "while [ ! -s \"$1\" ]; do sleep 0.02; done; ";

    protected TempDir Dir { get; }
    protected LineLog Log { get; }
    protected ProcessGroupRunner Runner { get; } = new();
    protected static CancellationToken Ct => TestContext.Current.CancellationToken;

    /// <summary>/bin/sh -c <paramref name="script"/> with <paramref name="args"/> as $1..; cwd is the scratch dir.</summary>
    protected ProcessRunRequest Sh(string script, params string[] args) =>
        new(["/bin/sh", "-c", script, "sh", .. args], Dir.Path, Log);

    protected string[] LogLines()
    {
        Log.Dispose();
        return File.ReadAllLines(Log.Path);
    }

    /// <summary>Waits (with a deadline) until nothing in group <paramref name="pgid"/> and none of <paramref name="pids"/> is alive.</summary>
    protected static async Task ShouldAllBeDeadAsync(int pgid, params int[] pids)
    {
        var dead = await Poll.UntilAsync(
            () => Pids.LiveGroupMembers(pgid).Count == 0 && pids.All(p => !Pids.IsAlive(p)), TimeSpan.FromSeconds(3));
        dead.ShouldBeTrue($"still alive: group {pgid} members [{string.Join(", ", Pids.LiveGroupMembers(pgid))}], " +
            $"pids [{string.Join(", ", pids.Where(Pids.IsAlive))}]");
    }

    public void Dispose()
    {
        Log.Dispose();
        Dir.Dispose();
        GC.SuppressFinalize(this);
    }
}
