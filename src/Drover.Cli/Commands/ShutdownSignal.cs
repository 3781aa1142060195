using System.Runtime.InteropServices;

namespace Drover.Cli.Commands;

/// <summary>SIGTERM and Ctrl-C request a graceful stop; a second Ctrl-C is left to the default (exit now).</summary>
public sealed class ShutdownSignal : IDisposable
{
    private readonly CancellationTokenSource _cts;
    private readonly PosixSignalRegistration _term;
    private readonly PosixSignalRegistration _int;
    private int _count;

    public ShutdownSignal(CancellationToken outer)
    {
        _cts = CancellationTokenSource.CreateLinkedTokenSource(outer);
        _term = PosixSignalRegistration.Create(PosixSignal.SIGTERM, Handle);
        _int = PosixSignalRegistration.Create(PosixSignal.SIGINT, Handle);
    }

    public CancellationToken Token => _cts.Token;

    private void Handle(PosixSignalContext ctx)
    {
        if (Interlocked.Increment(ref _count) == 1)
        {
            ctx.Cancel = true;
            Console.Error.WriteLine("drover: stopping (running attempts get a grace period; press Ctrl-C again to exit now)");
            _cts.Cancel();
        }
    }

    public void Dispose()
    {
        _term.Dispose();
        _int.Dispose();
        _cts.Dispose();
    }
}
