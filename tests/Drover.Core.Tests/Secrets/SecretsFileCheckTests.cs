using Drover.Core.Secrets;
using Drover.Core.Tests.Specs;

namespace Drover.Core.Tests.Secrets;

public sealed class SecretsFileCheckTests
{
    [Fact]
    public void Problem_DamagedFile_NamesFileAndPositionButNoContents()
    {
        using var dir = new TempDir();
        var path = Path.Combine(dir.Path, "secrets");
        SecretsFileCheck.Problem(path).ShouldBeNull("no file: nothing set");

        File.WriteAllText(path, "{\"A\": \"hunter2-value\",\n oops");
        var problem = SecretsFileCheck.Problem(path)!;
        problem.ShouldBe($"the secrets file {path} is damaged: not valid JSON at line 2, byte 2");

        File.WriteAllText(path, "{\"A\": 5}");
        SecretsFileCheck.Problem(path).ShouldBe($"the secrets file {path} is damaged: the value of secret A is not a string");
        File.WriteAllText(path, "{\"A\": \"ok\"}");
        SecretsFileCheck.Problem(path).ShouldBeNull();
    }
}
