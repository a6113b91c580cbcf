using Liquid.Harness.Data;

namespace Liquid.Harness.Tests.Data;

/// <summary>
/// The first-use installer, with the privilege check and apt-get replaced by fakes: nothing is
/// installed by these tests.
/// </summary>
public sealed class DebianPackagesTests : DataFolderTest
{
    private sealed class FakeApt(Func<string[], int> exitCode, Action? install = null)
    {
        public List<string> Calls { get; } = [];

        public (int, string) Run(string program, string[] arguments)
        {
            Calls.Add($"{program} {string.Join(' ', arguments)}");
            var code = exitCode(arguments);
            if (code == 0 && arguments.Contains("install")) install?.Invoke();
            return (code, code == 0 ? "" : "E: Unable to locate package demo-data");
        }
    }

    [Fact]
    public void PresentPackageRunsNothing()
    {
        var apt = new FakeApt(_ => 0);
        DebianPackages.Require("demo-data", Folder, "builtin:demo", null, privileged: false, apt.Run);
        Assert.Empty(apt.Calls);
    }

    [Fact]
    public void WithoutRootTheErrorPrintsTheExactCommand()
    {
        var apt = new FakeApt(_ => 0);
        var probe = Path.Combine(Folder, "missing");
        var error = AssertDataError(() => DebianPackages.Require("demo-data", probe, "builtin:demo", null, privileged: false, apt.Run),
            "builtin:demo", "demo-data", probe, "sudo apt-get install -y demo-data");
        Assert.Empty(apt.Calls);
        Assert.StartsWith("builtin:demo needs", error.Message);
    }

    [Fact]
    public void AsRootItInstallsWithAptGetAndLogsFirst()
    {
        var probe = Path.Combine(Folder, "installed");
        var apt = new FakeApt(_ => 0, () => Directory.CreateDirectory(probe));
        var log = new List<string>();
        DebianPackages.Require("demo-data", probe, "builtin:demo", log.Add, privileged: true, apt.Run);
        Assert.Equal(["apt-get -o DPkg::Lock::Timeout=300 install -y -qq demo-data"], apt.Calls);
        Assert.Single(log);
        Assert.Contains("apt-get install -y demo-data", log[0]);
    }

    [Fact]
    public void AFailedInstallRefreshesThePackageListsOnceAndRetries()
    {
        var probe = Path.Combine(Folder, "installed");
        var attempts = 0;
        var apt = new FakeApt(args => args.Contains("install") && attempts++ == 0 ? 100 : 0, () => Directory.CreateDirectory(probe));
        DebianPackages.Require("demo-data", probe, "builtin:demo", null, privileged: true, apt.Run);
        Assert.Equal(3, apt.Calls.Count);
        Assert.Contains("update", apt.Calls[1]);
    }

    [Fact]
    public void AptFailureAndAMissingProbeAfterInstallAreClearErrors()
    {
        var probe = Path.Combine(Folder, "never");
        var failing = new FakeApt(args => args.Contains("install") ? 100 : 0);
        AssertDataError(() => DebianPackages.Require("demo-data", probe, "builtin:demo", null, privileged: true, failing.Run),
            "installing it failed", "exit code 100", "Unable to locate package", "apt-get install -y demo-data");

        var silent = new FakeApt(_ => 0);
        AssertDataError(() => DebianPackages.Require("demo-data", probe, "builtin:demo", null, privileged: true, silent.Run),
            "still missing", "dpkg -L demo-data");
    }
}
