using System.Diagnostics;
using System.Text;

namespace Liquid.Harness.Tests.Reliability;

/// <summary>
/// The real <c>liquid</c> executable as a child process (<c>dotnet liquid.dll …</c> from the test's
/// output folder), with its output collected as it comes, for tests that send it signals.
/// </summary>
/// <remarks>
/// The child is started through perl, which resets SIGINT and SIGTERM to their default action before
/// exec: a test host started in the background inherits SIGINT as ignored, the child would inherit
/// that too, and .NET does not handle a signal that was ignored when it started.
/// </remarks>
internal sealed class LiquidProcess : IDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _output = new();
    private readonly StringBuilder _error = new();
    private readonly object _gate = new();

    public LiquidProcess(string cacheDirectory, params string[] args)
    {
        var dll = Path.Combine(AppContext.BaseDirectory, "liquid.dll");
        var start = new ProcessStartInfo("perl")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var arg in new[] { "-e", "$SIG{INT} = 'DEFAULT'; $SIG{TERM} = 'DEFAULT'; exec @ARGV or die \"exec: $!\"", "dotnet", dll }.Concat(args))
            start.ArgumentList.Add(arg);
        start.Environment["LIQUID_CACHE"] = cacheDirectory;
        start.Environment["LIQUID_THREADS"] = "1";
        _process = new Process { StartInfo = start };
        _process.OutputDataReceived += (_, e) => Append(_output, e.Data);
        _process.ErrorDataReceived += (_, e) => Append(_error, e.Data);
        _process.Start();
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
    }

    public int Pid => _process.Id;

    public string Output
    {
        get
        {
            lock (_gate) return _output.ToString();
        }
    }

    public string Error
    {
        get
        {
            lock (_gate) return _error.ToString();
        }
    }

    private void Append(StringBuilder to, string? line)
    {
        if (line is null) return;
        lock (_gate) to.Append(line).Append('\n');
    }

    /// <summary>Waits until the output contains <paramref name="text"/>; false if the process ended or the time ran out first.</summary>
    public bool WaitForOutput(string text, TimeSpan timeout)
    {
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < timeout)
        {
            if (Output.Contains(text, StringComparison.Ordinal)) return true;
            if (_process.HasExited) return Output.Contains(text, StringComparison.Ordinal);
            Thread.Sleep(10);
        }
        return false;
    }

    /// <summary>Sends <paramref name="signal"/> (INT, TERM, KILL) with the kill command.</summary>
    public void Signal(string signal)
    {
        using var kill = Process.Start(new ProcessStartInfo("kill", ["-" + signal, Pid.ToString(System.Globalization.CultureInfo.InvariantCulture)]) { UseShellExecute = false })!;
        kill.WaitForExit();
    }

    /// <summary>The exit code, after waiting for the process to end (killed after <paramref name="timeout"/>).</summary>
    public int WaitForExit(TimeSpan timeout)
    {
        if (!_process.WaitForExit(timeout))
        {
            _process.Kill(entireProcessTree: true);
            _process.WaitForExit();
            throw new TimeoutException($"liquid did not exit within {timeout.TotalSeconds} s; output:\n{Output}\n{Error}");
        }
        _process.WaitForExit(); // drains the redirected streams
        return _process.ExitCode;
    }

    public bool HasExited => _process.HasExited;

    public void Dispose()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            _process.WaitForExit();
        }
        _process.Dispose();
    }
}
