using System.ComponentModel;
using System.Diagnostics;

namespace Liquid.Harness.Data;

/// <summary>
/// Installs the Debian package a built-in data set comes from the first time it is used, the way
/// <c>scripts/bootstrap.sh</c> installs the project's packages: as root with
/// <c>apt-get install -y</c> (after an <c>apt-get update</c> if the first attempt fails), otherwise
/// a <see cref="DataException"/> that prints the exact command to run. Built-in data sets call
/// <see cref="Require"/> before they read their files.
/// </summary>
public static class DebianPackages
{
    /// <summary>
    /// Makes sure <paramref name="package"/> is installed, judged by whether <paramref name="probe"/>
    /// (a file or folder the package installs) exists.
    /// </summary>
    /// <param name="package">The Debian package, e.g. <c>dataset-fashion-mnist</c>.</param>
    /// <param name="probe">A path the package installs.</param>
    /// <param name="purpose">What needs it, for the messages, e.g. <c>builtin:fashion-mnist</c>.</param>
    /// <param name="log">Told before apt-get runs (it takes a few seconds).</param>
    /// <exception cref="DataException">The package is missing and cannot be installed (not root, apt-get failed).</exception>
    public static void Require(string package, string probe, string purpose, Action<string>? log = null) =>
        Require(package, probe, purpose, log, Environment.IsPrivilegedProcess, Run);

    /// <summary><see cref="Require(string, string, string, Action{string})"/> with the privilege check and the process runner given (for tests).</summary>
    internal static void Require(string package, string probe, string purpose, Action<string>? log, bool privileged, Func<string, string[], (int ExitCode, string Output)> run)
    {
        if (Exists(probe)) return;
        var command = $"apt-get install -y {package}";
        if (!privileged)
            throw new DataException($"{purpose} needs Debian's package {package} ({probe} is missing); install it with: sudo apt-get update && sudo {command}");

        log?.Invoke($"{purpose}: installing Debian's package {package} (apt-get install -y {package})");
        string[] install = ["-o", "DPkg::Lock::Timeout=300", "install", "-y", "-qq", package];
        var (code, output) = run("apt-get", install);
        if (code != 0)
        {
            // The package lists may be missing or stale (a fresh container): refresh them once and retry.
            (code, output) = run("apt-get", ["-o", "DPkg::Lock::Timeout=300", "update", "-qq"]);
            if (code == 0) (code, output) = run("apt-get", install);
        }
        if (code != 0)
            throw new DataException($"{purpose} needs Debian's package {package}, and installing it failed (apt-get exit code {code}: {Tail(output)}); install it with: {command}");
        if (!Exists(probe))
            throw new DataException($"{purpose}: apt-get installed {package}, but {probe} is still missing; check the package with: dpkg -L {package}");
    }

    private static bool Exists(string path) => File.Exists(path) || Directory.Exists(path);

    private static (int ExitCode, string Output) Run(string program, string[] arguments)
    {
        var start = new ProcessStartInfo(program, arguments)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.Environment["DEBIAN_FRONTEND"] = "noninteractive";
        try
        {
            using var process = Process.Start(start) ?? throw new Win32Exception($"{program} did not start");
            // Both streams are drained concurrently, or a full pipe would block the child.
            var error = process.StandardError.ReadToEndAsync();
            var output = process.StandardOutput.ReadToEnd();
            process.WaitForExit();
            return (process.ExitCode, output + error.Result);
        }
        catch (Win32Exception e)
        {
            return (-1, $"cannot run {program}: {e.Message}");
        }
    }

    private static string Tail(string output)
    {
        var lines = output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        return lines.Length == 0 ? "no output" : string.Join(" / ", lines.TakeLast(3));
    }
}
