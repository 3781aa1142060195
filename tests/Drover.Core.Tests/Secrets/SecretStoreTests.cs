using Drover.Core.Secrets;
using Drover.Core.Tests.Specs;

namespace Drover.Core.Tests.Secrets;

public sealed class SecretStoreTests
{
    [Fact]
    public void SetGetRemove_RoundTrip_FileIsOwnerOnly()
    {
        using var dir = new TempDir();
        var store = new SecretStore(Path.Combine(dir.Path, "secrets"));

        store.Set("OPENAI_KEY", "sk-test-1234567890abcdef");
        store.Set("OTHER", "other-value-2");

        store.Get("OPENAI_KEY").ShouldBe("sk-test-1234567890abcdef");
        store.ReadAll().Keys.ShouldBe(["OPENAI_KEY", "OTHER"]);
        File.GetUnixFileMode(store.Path).ShouldBe(UnixFileMode.UserRead | UnixFileMode.UserWrite);
        store.Remove("OTHER").ShouldBeTrue();
        store.Remove("OTHER").ShouldBeFalse();
        store.Get("OTHER").ShouldBeNull();
        File.Exists(store.Path + ".tmp").ShouldBeFalse();
    }

    [Theory]
    [InlineData("lower", "x", "name")]
    [InlineData("1ABC", "x", "name")]
    [InlineData("A-B", "x", "name")]
    [InlineData("OK", "", "value")]
    [InlineData("OK", "a\0bcdefghi", "value")]
    [InlineData("OK", "seven77", "value")]
    public void Set_BadInput_IsRejectedNamingTheField_AndNothingStored(string name, string value, string field)
    {
        using var dir = new TempDir();
        var store = new SecretStore(Path.Combine(dir.Path, "secrets"));
        store.Set("KEEP", "kept-value");

        Should.Throw<JobSpecException>(() => store.Set(name, value)).Field.ShouldBe(field);

        store.ReadAll().ShouldBe(new Dictionary<string, string> { ["KEEP"] = "kept-value" });
    }

    [Fact]
    public void Set_ConcurrentWriters_LoseNothing()
    {
        using var dir = new TempDir();
        var path = Path.Combine(dir.Path, "secrets");

        Parallel.For(0, 24, i => new SecretStore(path).Set($"K{i}", $"value-{i:D3}"));

        new SecretStore(path).ReadAll().Count.ShouldBe(24);
    }

    [Theory]
    [InlineData("sk-test-1234567890abcdef", "sk-…cdef")]
    [InlineData("short", "****")]
    public void Masked_NeverShowsTheUsableValue(string value, string masked) => SecretStore.Masked(value).ShouldBe(masked);

    [Fact]
    public void ReadAll_CorruptFile_IsAClearError()
    {
        using var dir = new TempDir();
        var path = Path.Combine(dir.Path, "secrets");
        File.WriteAllText(path, "{not json");

        Should.Throw<DroverException>(() => new SecretStore(path).ReadAll()).Message.ShouldContain("not a valid secrets file");
    }
}
