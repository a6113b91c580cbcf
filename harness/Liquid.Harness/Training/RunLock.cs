using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;
using Microsoft.Win32.SafeHandles;

namespace Liquid.Harness.Training;

/// <summary>
/// The advisory lock of a run folder, held while a run writes it: <c>.liquid.lock</c> in the folder,
/// locked with <c>flock(LOCK_EX)</c> and holding the owner's PID. The kernel drops the lock when its
/// process ends however it ends (even <c>kill -9</c>), so a lock is never stale; the PID a killed run
/// left in the file only tells the next run whose lock it takes over. A second run on the same
/// folder finds the lock held and refuses, naming the holder's PID.
/// </summary>
/// <remarks>
/// The file is opened with libc's open(2), not FileStream: .NET takes a flock of its own on every
/// file it opens, which would make a second process fail at opening instead of at locking (and
/// leave it unable to read the holder's PID). The file is never deleted: deleting it would let a
/// waiting process lock an orphaned inode. A clean release empties it.
/// </remarks>
public sealed partial class RunLock : IDisposable
{
    /// <summary>The lock file's name inside a run folder.</summary>
    public const string FileName = ".liquid.lock";

    // Folders locked by this process: flock conflicts between two opens of the same file even in
    // one process, so nested users (checkpoint recovery inside a training run) share the lock.
    private static readonly Dictionary<string, RunLock> s_held = new(StringComparer.Ordinal);
    private static readonly object s_gate = new();

    private readonly SafeFileHandle? _handle;
    private int _users = 1;

    private RunLock(string folder, SafeFileHandle? handle, int? previousOwner)
    {
        Folder = folder;
        _handle = handle;
        PreviousOwner = previousOwner;
    }

    /// <summary>The run folder (full path).</summary>
    public string Folder { get; }

    /// <summary>True when this process holds the lock; false for a run forced past another's lock.</summary>
    public bool Held => _handle is not null;

    /// <summary>The PID a run that ended without releasing the lock (killed, crashed) left in the file, if any.</summary>
    public int? PreviousOwner { get; }

    /// <summary>
    /// Locks <paramref name="folder"/> (creating it) for a run. When another live process holds it,
    /// throws <see cref="RunLockedException"/> naming that process, unless <paramref name="force"/>,
    /// which goes on without the lock after <paramref name="notice"/> says so. Taking over the lock a
    /// killed run left is reported through <paramref name="notice"/> too.
    /// </summary>
    public static RunLock Acquire(string folder, bool force, Action<string> notice)
    {
        var attempt = TryAcquire(folder);
        if (attempt.Lock is { } taken)
        {
            if (taken.PreviousOwner is { } pid)
                notice($"took over the lock of {Path.Combine(taken.Folder, FileName)} from process {pid}, which is no longer running (killed or crashed)");
            return taken;
        }
        var holder = attempt.Holder is { } owner ? $"process {owner}" : "another process";
        if (!force)
            throw new RunLockedException(attempt.Folder, attempt.Holder,
                $"run folder {attempt.Folder} is in use by another liquid run ({holder}); wait for it to finish, choose another --out, or pass --force to write it anyway");
        notice($"--force: writing {attempt.Folder} although {holder} holds its lock; the two runs may overwrite each other's checkpoints and metrics");
        return new RunLock(attempt.Folder, null, null);
    }

    /// <summary>What <see cref="TryAcquire"/> found: the lock, or who holds it.</summary>
    public readonly record struct Attempt(string Folder, RunLock? Lock, int? Holder);

    /// <summary>Locks <paramref name="folder"/> if no other process holds it; never waits.</summary>
    public static Attempt TryAcquire(string folder)
    {
        var full = Path.GetFullPath(folder);
        lock (s_gate)
        {
            if (s_held.TryGetValue(full, out var mine))
            {
                mine._users++;
                return new Attempt(full, mine, null);
            }
            Directory.CreateDirectory(full);
            var path = Path.Combine(full, FileName);
            var handle = Open(path);
            try
            {
                if (!Lock(handle))
                {
                    var holder = ReadPid(handle);
                    handle.Dispose();
                    return new Attempt(full, null, holder);
                }
                var previous = ReadPid(handle);
                WritePid(handle, Environment.ProcessId);
                var taken = new RunLock(full, handle, previous is { } pid && pid != Environment.ProcessId ? pid : null);
                s_held[full] = taken;
                return new Attempt(full, taken, null);
            }
            catch
            {
                handle.Dispose();
                throw;
            }
        }
    }

    /// <summary>True when another live process holds <paramref name="folder"/>'s lock (its PID in <paramref name="pid"/> when known).</summary>
    public static bool HeldByAnother(string folder, out int? pid)
    {
        var attempt = TryAcquire(folder);
        attempt.Lock?.Dispose();
        pid = attempt.Holder;
        return attempt.Lock is null;
    }

    /// <summary>Releases the lock (a clean release empties the file, so the next run has nothing to take over).</summary>
    public void Dispose()
    {
        lock (s_gate)
        {
            if (_handle is null || --_users > 0) return;
            s_held.Remove(Folder);
            try
            {
                RandomAccess.SetLength(_handle, 0);
            }
            catch (IOException)
            {
                // The folder may be gone (a test deleting it); closing still releases the lock.
            }
            _handle.Dispose();
        }
    }

    private static SafeFileHandle Open(string path)
    {
        // Elsewhere there is no flock to rely on: a plain .NET handle, and the folder goes unlocked.
        if (!OperatingSystem.IsLinux()) return File.OpenHandle(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.ReadWrite | FileShare.Delete);
        const int ReadWrite = 2, Create = 0x40, CloseOnExec = 0x80000;
        int fd;
        do fd = open(path, ReadWrite | Create | CloseOnExec, Convert.ToInt32("644", 8));
        while (fd < 0 && Marshal.GetLastPInvokeError() == 4); // EINTR
        if (fd < 0) throw new IOException($"cannot open {path}: open failed with errno {Marshal.GetLastPInvokeError()}");
        return new SafeFileHandle(fd, ownsHandle: true);
    }

    private static bool Lock(SafeFileHandle handle)
    {
        if (!OperatingSystem.IsLinux()) return true;
        const int LockExclusive = 2, NoBlock = 4;
        var fd = (int)handle.DangerousGetHandle();
        while (true)
        {
            if (flock(fd, LockExclusive | NoBlock) == 0) return true;
            var errno = Marshal.GetLastPInvokeError();
            if (errno == 4) continue; // EINTR
            if (errno == 11) return false; // EWOULDBLOCK
            throw new IOException($"cannot lock {FileName}: flock failed with errno {errno}");
        }
    }

    private static int? ReadPid(SafeFileHandle handle)
    {
        var buffer = new byte[32];
        var read = RandomAccess.Read(handle, buffer, 0);
        var text = Encoding.ASCII.GetString(buffer, 0, read).Trim();
        return int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var pid) && pid > 0 ? pid : null;
    }

    private static void WritePid(SafeFileHandle handle, int pid)
    {
        RandomAccess.SetLength(handle, 0);
        RandomAccess.Write(handle, Encoding.ASCII.GetBytes(pid.ToString(CultureInfo.InvariantCulture) + "\n"), 0);
    }

    [LibraryImport("libc", SetLastError = true)]
    private static partial int flock(int fd, int operation);

    [LibraryImport("libc", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int open(string path, int flags, int mode);
}

/// <summary>Another live run holds the run folder's lock.</summary>
public sealed class RunLockedException(string folder, int? holder, string message) : Exception(message)
{
    /// <summary>The locked folder.</summary>
    public string Folder { get; } = folder;

    /// <summary>The PID of the holder, when its lock file names one.</summary>
    public int? HolderPid { get; } = holder;
}
