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

    // No modules (not even Socket or strict: loading them costs more than the rest of the start): Linux's socket
    // constants (AF_INET 2, AF_UNIX 1, SOCK_STREAM 1, SOL_SOCKET 1, SO_REUSEADDR 2) and sockaddr layouts are spelled out.
    internal const string Script = """
        my ($port, $path) = (shift, shift); shift;
        socket(my $l, 2, 1, 0) or die "drover relay: socket: $!\n";
        setsockopt($l, 1, 2, 1);
        bind($l, pack('S n C4 x8', 2, $port, 127, 0, 0, 1)) or die "drover relay: cannot listen on 127.0.0.1:$port: $!\n";
        listen($l, 64) or die "drover relay: listen: $!\n";
        my $pid = fork(); die "drover relay: fork: $!\n" unless defined $pid;
        if ($pid) { close $l; exec { $ARGV[0] } @ARGV; die "drover relay: cannot run $ARGV[0]: $!\n"; }
        $SIG{TERM} = 'IGNORE'; $SIG{INT} = 'IGNORE'; $SIG{CHLD} = 'IGNORE'; $SIG{PIPE} = 'IGNORE';
        open(STDIN, '<', '/dev/null'); open(STDOUT, '>', '/dev/null'); open(STDERR, '>', '/dev/null');
        my $gw = pack('S a108', 1, $path);
        while (1) {
          accept(my $c, $l) or next;
          my $h = fork(); next if !defined $h;
          if ($h) { close $c; next; }
          close $l;
          socket(my $u, 1, 1, 0) or exit 1;
          connect($u, $gw) or exit 1;
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
