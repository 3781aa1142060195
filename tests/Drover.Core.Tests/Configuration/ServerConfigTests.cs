using Drover.Core.Configuration;

namespace Drover.Core.Tests.Configuration;

public sealed class ServerConfigTests
{
    [Fact]
    public void Parse_MaxStreams_IsReadAndBounded()
    {
        DroverConfigLoader.Parse("[server]\nmax_streams = 50\n").Server.MaxStreams.ShouldBe(50);
        DroverConfig.Default.Server.MaxStreams.ShouldBe(200);
        Should.Throw<DroverConfigException>(() => DroverConfigLoader.Parse("[server]\nmax_streams = 0\n")).Message.ShouldContain("max_streams");
    }
}
