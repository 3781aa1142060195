using Drover.Core;

namespace Drover.Engines.Workspaces;

/// <summary>A workspace (git) operation failed; an attempt that hits one fails with class <c>infra</c>.</summary>
public sealed class WorkspaceException : DroverException
{
    public WorkspaceException(string message) : base(message) { }

    public WorkspaceException(string message, Exception inner) : base(message, inner) { }
}
