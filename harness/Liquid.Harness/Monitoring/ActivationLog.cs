using System.Text;
using System.Text.Json;
using Liquid.Runtime.Nn;

namespace Liquid.Harness.Monitoring;

/// <summary>
/// Writes what an <see cref="ActivationMonitor"/> recorded as JSON Lines (one object per line,
/// appended to a file such as <c>runs/…/activations.jsonl</c>):
/// <code>
/// {"type":"activation","step":100,"module":"blocks.0.attn.qkv","kind":"Linear","shape":[16,128,192],"mean":0.01,"std":0.9,"max_abs":4.2,"non_finite":0}
/// {"type":"gradient","step":100,"parameter":"blocks.0.attn.qkv.weight","norm":0.37,"non_finite":0}
/// {"type":"non_finite","step":112,"path":"blocks.1.moe.gate","what":"activation","count":3}
/// </code>
/// Non-finite statistics (a tensor with no finite element) are written as null. The non_finite line
/// is written once, when the monitor first sees a non-finite value.
/// </summary>
public sealed class ActivationLog : IDisposable
{
    private readonly StreamWriter _writer;
    private bool _reportedNonFinite;

    /// <summary>Opens <paramref name="path"/> for appending (created if missing, with its folder).</summary>
    public ActivationLog(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        Path = System.IO.Path.GetFullPath(path);
        if (System.IO.Path.GetDirectoryName(Path) is { Length: > 0 } folder) Directory.CreateDirectory(folder);
        _writer = new StreamWriter(new FileStream(Path, FileMode.Append, FileAccess.Write, FileShare.Read), new UTF8Encoding(false)) { NewLine = "\n" };
    }

    /// <summary>The file written to.</summary>
    public string Path { get; }

    /// <summary>
    /// Opens the log of a run that stands at step <paramref name="keepUpTo"/>: records of later steps
    /// (written before a kill, and about to be redone) are dropped first, as in metrics.jsonl.
    /// </summary>
    public ActivationLog(string path, long keepUpTo) : this(Prepared(path, keepUpTo))
    {
    }

    private static string Prepared(string path, long keepUpTo)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(path)) is { Length: > 0 } folder) Directory.CreateDirectory(folder);
        Training.MetricsLog.KeepUpTo(path, keepUpTo);
        return path;
    }

    /// <summary>
    /// Writes and removes the monitor's records, then the first non-finite value if it is new; flushes.
    /// Returns that first non-finite value when this call wrote it, else null.
    /// </summary>
    public NonFiniteValue? Write(ActivationMonitor monitor)
    {
        ArgumentNullException.ThrowIfNull(monitor);
        var (activations, gradients) = monitor.TakeRecords();
        foreach (var record in activations) _writer.WriteLine(Line(record));
        foreach (var record in gradients) _writer.WriteLine(Line(record));
        if (monitor.FirstNonFinite is { } first && !_reportedNonFinite)
        {
            _writer.WriteLine(Line(first));
            _reportedNonFinite = true;
            _writer.Flush();
            return first;
        }
        _writer.Flush();
        return null;
    }

    /// <summary>One activation record as a JSON object.</summary>
    public static string Line(ActivationStats record) => Json(w =>
    {
        w.WriteString("type", "activation");
        w.WriteNumber("step", record.Step);
        w.WriteString("module", record.Module);
        w.WriteString("kind", record.Kind);
        w.WriteStartArray("shape");
        foreach (var size in record.Shape) w.WriteNumberValue(size);
        w.WriteEndArray();
        Number(w, "mean", record.Mean);
        Number(w, "std", record.Std);
        Number(w, "max_abs", record.MaxAbs);
        w.WriteNumber("non_finite", record.NonFinite);
    });

    /// <summary>One gradient record as a JSON object.</summary>
    public static string Line(GradientStats record) => Json(w =>
    {
        w.WriteString("type", "gradient");
        w.WriteNumber("step", record.Step);
        w.WriteString("parameter", record.Parameter);
        Number(w, "norm", record.Norm);
        w.WriteNumber("non_finite", record.NonFinite);
    });

    /// <summary>The first non-finite value as a JSON object.</summary>
    public static string Line(NonFiniteValue value) => Json(w =>
    {
        w.WriteString("type", "non_finite");
        w.WriteNumber("step", value.Step);
        w.WriteString("path", value.Path);
        w.WriteString("what", value.What);
        w.WriteNumber("count", value.Count);
    });

    private static void Number(Utf8JsonWriter writer, string name, double value)
    {
        if (double.IsFinite(value)) writer.WriteNumber(name, value);
        else writer.WriteNull(name);
    }

    private static string Json(Action<Utf8JsonWriter> body)
    {
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            body(writer);
            writer.WriteEndObject();
        }
        return Encoding.UTF8.GetString(buffer.ToArray());
    }

    /// <summary>Flushes and closes the file.</summary>
    public void Dispose() => _writer.Dispose();
}
