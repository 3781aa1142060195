using System.ComponentModel;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;

namespace Drover.IntegrationTests.RealClis;

/// <summary>
/// A network namespace with only loopback up. Drover and the agent CLIs it starts run inside it (through
/// <see cref="Prefix"/>), so nothing they do can reach anything but 127.0.0.1; the fake model server's listening
/// socket is created inside it too, from a thread that joined the namespace.
/// </summary>
public sealed partial class LoopbackNetwork : IDisposable
{
    private const int CloneNewNet = 0x40000000;
    private readonly Process _holder;

    private LoopbackNetwork(Process holder) => _holder = holder;

    /// <summary>The namespace's handle, valid while this object lives.</summary>
    public string NamespacePath => $"/proc/{_holder.Id}/ns/net";

    /// <summary>Prefix for a command to run inside the namespace.</summary>
    public IReadOnlyList<string> Prefix => ["nsenter", "--net=" + NamespacePath, "--"];

    public static LoopbackNetwork Create()
    {
        var psi = new ProcessStartInfo("unshare")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        foreach (var a in new[] { "--net", "--", "/bin/sh", "-c", "ip link set lo up && echo ready && exec sleep 3600" })
            psi.ArgumentList.Add(a);
        var holder = Process.Start(psi)!;
        var ready = holder.StandardOutput.ReadLineAsync();
        if (!ready.Wait(TimeSpan.FromSeconds(10)) || ready.Result != "ready")
        {
            var why = holder.HasExited ? holder.StandardError.ReadToEnd() : "no answer in 10 s";
            Native.Kill(holder.Id, Native.SIGKILL);
            holder.Dispose();
            throw new InvalidOperationException(
                "cannot create a loopback-only network namespace (needs root or user namespaces, unshare and ip): " + why);
        }

        return new LoopbackNetwork(holder);
    }

    /// <summary>A TCP socket listening on 127.0.0.1 (any free port) inside the namespace.</summary>
    public Socket Listen()
    {
        Socket? socket = null;
        Exception? error = null;
        var thread = new Thread(() =>
        {
            try
            {
                using var ns = File.OpenHandle(NamespacePath);
                if (SetNs((int)ns.DangerousGetHandle(), CloneNewNet) != 0)
                    throw new Win32Exception(Marshal.GetLastPInvokeError(), "setns");
                socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
                socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
                socket.Listen(128);
            }
            catch (Exception e) when (e is Win32Exception or SocketException or IOException or UnauthorizedAccessException)
            {
                error = e;
            }
        });
        thread.Start();
        thread.Join();
        return socket ?? throw new InvalidOperationException("cannot listen inside the network namespace", error);
    }

    [LibraryImport("libc", EntryPoint = "setns", SetLastError = true)]
    private static partial int SetNs(int fd, int nstype);

    public void Dispose()
    {
        if (!_holder.HasExited)
            Native.Kill(_holder.Id, Native.SIGKILL);
        _holder.WaitForExit(5000);
        _holder.Dispose();
    }
}
