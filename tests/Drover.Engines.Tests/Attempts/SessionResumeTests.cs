using Drover.Core.Jobs;
using Drover.Core.Storage;
using Drover.Engines.Attempts;

namespace Drover.Engines.Tests.Attempts;

/// <summary>Which ended attempts a retry continues (the session of attempt N−1 on this host) and which start over.</summary>
public sealed class SessionResumeTests : IDisposable
{
    private readonly string _home = Path.Combine(Path.GetTempPath(), "drover-resume-" + Guid.NewGuid().ToString("N")[..8]);

    [Theory]
    [InlineData(FailureClass.Timeout, true)]
    [InlineData(FailureClass.Stalled, true)]
    [InlineData(FailureClass.ModelError, true)]
    [InlineData(FailureClass.RateLimited, true)]
    [InlineData(FailureClass.VerifyFailed, false)]
    [InlineData(FailureClass.ScopeViolation, false)]
    [InlineData(FailureClass.Auth, false)]
    public void PreviousSession_ByHowTheAttemptEnded(string cls, bool resumes)
    {
        AttemptFiles.Create(_home, 7, 1).WriteSession("codex", "th-1", AttemptOutcome.Failure(cls, "why"));

        var resume = AttemptFiles.PreviousSession(_home, 7, 2);

        (resume is not null).ShouldBe(resumes);
        if (resume is not null)
        {
            resume.ShouldBe(new ResumeFrom("codex", "th-1", Path.Combine(_home, "runs", "7", "1", "agent-home"), $"{cls}: why"));
        }
    }

    [Fact]
    public void PreviousSession_AnsweredQuestion_Resumes_FirstAttemptOrNoFile_DoesNot()
    {
        AttemptFiles.Create(_home, 8, 1).WriteSession("claude", "s-1", AttemptOutcome.AwaitAnswer("which file?"));

        AttemptFiles.PreviousSession(_home, 8, 2).ShouldNotBeNull().Why.ShouldContain("question");
        AttemptFiles.PreviousSession(_home, 8, 1).ShouldBeNull();
        AttemptFiles.PreviousSession(_home, 9, 2).ShouldBeNull();
    }

    public void Dispose()
    {
        if (Directory.Exists(_home))
            Directory.Delete(_home, recursive: true);
    }
}
