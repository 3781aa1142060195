namespace Drover.Engines.Sandbox;

/// <summary>
/// Carries the gateway into a sandbox whose network namespace has only loopback: listens on 127.0.0.1:PORT inside it,
/// then execs the command (which keeps the pid, the exit status and the signals), while a forked child carries every
/// connection to Drover's gateway over the Unix socket bound into the sandbox. It is Perl because Debian's perl-base is
/// always installed and starts in a few milliseconds; the command starts only once the port listens.
/// </summary>
public static class Relay
{
    public const string Perl = "/usr/bin/perl";

    internal const string Script = """
        use strict; use Socket;
        my ($port, $path) = (shift, shift); shift;
        socket(my $l, PF_INET, SOCK_STREAM, 0) or die "drover relay: socket: $!\n";
        setsockopt($l, SOL_SOCKET, SO_REUSEADDR, 1);
        bind($l, sockaddr_in($port, INADDR_LOOPBACK)) or die "drover relay: cannot listen on 127.0.0.1:$port: $!\n";
        listen($l, 64) or die "drover relay: listen: $!\n";
        my $pid = fork(); die "drover relay: fork: $!\n" unless defined $pid;
        if ($pid) { close $l; exec { $ARGV[0] } @ARGV; die "drover relay: cannot run $ARGV[0]: $!\n"; }
        $SIG{TERM} = 'IGNORE'; $SIG{INT} = 'IGNORE'; $SIG{CHLD} = 'IGNORE'; $SIG{PIPE} = 'IGNORE';
        open(STDIN, '<', '/dev/null'); open(STDOUT, '>', '/dev/null');
        while (1) {
          accept(my $c, $l) or next;
          my $h = fork(); next if !defined $h;
          if ($h) { close $c; next; }
          close $l;
          socket(my $u, PF_UNIX, SOCK_STREAM, 0) or exit 1;
          connect($u, pack_sockaddr_un($path)) or exit 1;
          my (%peer, %open);
          $peer{fileno $c} = [$c, $u]; $peer{fileno $u} = [$u, $c]; $open{fileno $c} = $open{fileno $u} = 1;
          while (%open) {
            my $rin = ''; vec($rin, $_, 1) = 1 for keys %open;
            select(my $r = $rin, undef, undef, undef) > 0 or last;
            for my $fd (keys %open) {
              next unless vec($r, $fd, 1);
              my ($from, $to) = @{$peer{$fd}};
              my $n = sysread($from, my $buf, 65536);
              if (!$n) { delete $open{$fd}; shutdown($to, 1); next; }
              while (length $buf) { my $w = syswrite($to, $buf) or exit 0; substr($buf, 0, $w) = ''; }
            }
          }
          exit 0;
        }
        """;

    /// <summary>The prefix that relays <paramref name="port"/> to <paramref name="socket"/> and then runs the command after it.</summary>
    public static IReadOnlyList<string> Command(int port, string socket) =>
        [Perl, "-e", Script, port.ToString(System.Globalization.CultureInfo.InvariantCulture), socket, "--"];
}
