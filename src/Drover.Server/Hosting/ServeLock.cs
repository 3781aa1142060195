namespace Drover.Server.Hosting;

/// <summary>
/// One `serve` per home: an exclusive lock on &lt;home&gt;/serve.lock (.NET maps FileShare.None to an
/// advisory flock on Unix), released by the kernel when the process dies, even by SIGKILL.
/// </summary>
public sealed class ServeLock : IDisposable
{
    private readonly FileStream _stream;

    private ServeLock(FileStream stream) => _stream = stream;

    public static ServeLock? TryAcquire(DroverHome home)
    {
        home.EnsureCreated();
        try
        {
            var fs = new FileStream(home.ServeLockPath, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
            return new ServeLock(fs);
        }
        catch (IOException)
        {
            return null;
        }
    }

    public void Dispose() => _stream.Dispose();
}
