namespace Drover.Cli;

/// <summary>SPEC §10 exit codes.</summary>
public static class ExitCodes
{
    public const int Ok = 0;
    public const int Failed = 1;
    public const int BadInput = 2;
    public const int NotFound = 3;
    public const int Unreachable = 4;
}

/// <summary>The server named by --url (or server.json) could not be reached.</summary>
public sealed class ServerUnreachableException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>A read command was pointed at a directory that holds no Drover home (exit 2, nothing created).</summary>
public sealed class HomeMissingException(string message) : Exception(message);
