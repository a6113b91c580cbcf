using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Liquid.Harness.Training;

/// <summary>
/// metrics.jsonl: one JSON object per step (train_loss, lr, tokens_per_s, grad_norm), per
/// evaluation (val_loss), per skipped step and per restore. Every line is valid JSON: a number that
/// is not finite (NaN, ±infinity) is written as <c>null</c>, and a skipped step records its loss and
/// gradient norm as text ("NaN", "Infinity"). On resume, lines past the checkpoint's step are
/// dropped so the file tells one consistent history; the file is rewritten atomically, so a kill
/// at that moment cannot empty it.
/// </summary>
public sealed class MetricsLog : IDisposable
{
    private readonly StreamWriter _writer;

    /// <summary>Opens the log, keeping existing lines up to step <paramref name="keepUpTo"/>.</summary>
    public MetricsLog(string path, long keepUpTo)
    {
        KeepUpTo(path, keepUpTo);
        _writer = new StreamWriter(path, append: true) { AutoFlush = true };
    }

    /// <summary>
    /// Rewrites the JSON Lines file <paramref name="path"/> with only its lines whose <c>step</c> is at
    /// most <paramref name="keepUpTo"/> (none for 0), atomically; lines that do not parse are dropped.
    /// </summary>
    internal static void KeepUpTo(string path, long keepUpTo)
    {
        var kept = new List<string>();
        if (File.Exists(path) && keepUpTo > 0)
        {
            foreach (var line in File.ReadLines(path))
            {
                try
                {
                    if (JsonNode.Parse(line)?["step"]?.GetValue<long>() is { } step && step <= keepUpTo) kept.Add(line);
                }
                catch (Exception e) when (e is JsonException or InvalidOperationException or FormatException)
                {
                    // A line cut by a crash, or not ours: drop it.
                }
            }
        }
        // Copies a kill left half-written; the run holds its folder's lock, so none is in use.
        foreach (var stale in Directory.EnumerateFiles(Path.GetDirectoryName(Path.GetFullPath(path))!, Path.GetFileName(path) + ".tmp-*")) File.Delete(stale);
        var temporary = path + $".tmp-{Environment.ProcessId}";
        File.WriteAllLines(temporary, kept);
        File.Move(temporary, path, overwrite: true);
    }

    /// <summary>Records a step: the objective, each of its terms (<c>train_loss.NAME</c>) and the layers' measurements.</summary>
    public void Step(StepMetrics m)
    {
        var line = new JsonObject
        {
            ["step"] = m.Step,
            ["train_loss"] = Number(m.Loss),
            ["lr"] = Number(m.LearningRate),
            [m.Unit + "_per_s"] = Number(Math.Round(m.TokensPerSecond, 1)),
            ["grad_norm"] = Number(m.GradNorm),
            ["elapsed_s"] = Number(Math.Round(m.Elapsed.TotalSeconds, 3)),
        };
        foreach (var (name, value) in m.Terms) line["train_loss." + name] = Number(value);
        foreach (var (name, values) in m.Measurements)
            line[name] = values.Length == 1 ? Number(values[0]) : new JsonArray(values.Select(v => Number(Math.Round(v, 6))).ToArray());
        Write(line);
    }

    /// <summary>Records an evaluation (a non-finite loss is written as null).</summary>
    public void Evaluation(long step, double validationLoss) => Write(new JsonObject { ["step"] = step, ["val_loss"] = Number(validationLoss) });

    /// <summary>Records an evaluation with its terms (<c>val_loss.NAME</c>) and accuracy.</summary>
    public void Evaluation(ValidationMetrics m)
    {
        var line = new JsonObject { ["step"] = m.Step, ["val_loss"] = Number(m.Loss) };
        if (m.Terms.Count > 1) foreach (var (name, value) in m.Terms) line["val_loss." + name] = Number(value);
        if (m.Accuracy is { } accuracy) line["val_accuracy"] = Number(accuracy);
        Write(line);
    }

    /// <summary>Records a step skipped for a non-finite loss or gradient norm (both as text).</summary>
    public void Skipped(long step, double loss, double gradNorm) => Write(new JsonObject
    {
        ["step"] = step,
        ["skipped"] = double.IsFinite(loss) ? "non-finite gradient" : "non-finite loss",
        ["loss"] = loss.ToString(CultureInfo.InvariantCulture),
        ["grad_norm"] = gradNorm.ToString(CultureInfo.InvariantCulture),
    });

    /// <summary>Records a restore of the checkpoint at <paramref name="step"/> with the learning rate scaled by <paramref name="scale"/>; later lines continue from that step.</summary>
    public void Restored(long step, double scale) => Write(new JsonObject { ["step"] = step, ["restored"] = "latest", ["lr_scale"] = Number(scale) });

    /// <summary>A JSON number, or null for NaN and ±infinity (which JSON cannot hold).</summary>
    public static JsonNode? Number(double value) => double.IsFinite(value) ? JsonValue.Create(value) : null;

    private void Write(JsonObject line) => _writer.WriteLine(line.ToJsonString());

    /// <inheritdoc/>
    public void Dispose() => _writer.Dispose();
}

/// <summary>Draws training and validation loss from metrics.jsonl as an SVG line chart.</summary>
public static class CurvePlot
{
    /// <summary>Writes <paramref name="svgPath"/> from <paramref name="metricsPath"/>.</summary>
    public static void Write(string metricsPath, string svgPath, string title)
    {
        var train = new List<(double X, double Y)>();
        var validation = new List<(double X, double Y)>();
        foreach (var line in File.ReadLines(metricsPath))
        {
            JsonNode? node;
            try
            {
                node = JsonNode.Parse(line);
            }
            catch (JsonException)
            {
                continue;
            }
            if (node is not JsonObject || node["step"] is not JsonValue stepValue || !stepValue.TryGetValue<long>(out var step)) continue;
            if (FiniteNumber(node["train_loss"]) is { } t) train.Add((step, t));
            if (FiniteNumber(node["val_loss"]) is { } v) validation.Add((step, v));
        }
        File.WriteAllText(svgPath, Render(train, validation, title));
    }

    private static double? FiniteNumber(JsonNode? node) =>
        node is JsonValue value && value.TryGetValue<double>(out var number) && double.IsFinite(number) ? number : null;

    private static string Render(List<(double X, double Y)> train, List<(double X, double Y)> validation, string title)
    {
        const double width = 720, height = 400, left = 60, right = 20, top = 40, bottom = 45;
        var all = train.Concat(validation).ToList();
        var c = CultureInfo.InvariantCulture;
        if (all.Count == 0)
            return $"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{width}\" height=\"{height}\"><text x=\"20\" y=\"40\">no finite losses recorded</text></svg>\n";
        double minX = all.Min(p => p.X), maxX = Math.Max(all.Max(p => p.X), minX + 1);
        double minY = all.Min(p => p.Y), maxY = Math.Max(all.Max(p => p.Y), minY + 1e-9);
        string X(double x) => (left + (x - minX) / (maxX - minX) * (width - left - right)).ToString("F1", c);
        string Y(double y) => (top + (maxY - y) / (maxY - minY) * (height - top - bottom)).ToString("F1", c);
        string Path(List<(double X, double Y)> points) => string.Join(" ", points.Select((p, i) => $"{(i == 0 ? "M" : "L")}{X(p.X)},{Y(p.Y)}"));
        var svg = new System.Text.StringBuilder();
        svg.Append($"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{width}\" height=\"{height}\" font-family=\"sans-serif\" font-size=\"12\">\n");
        svg.Append("<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n");
        svg.Append($"<text x=\"{left}\" y=\"24\" font-size=\"14\">{System.Security.SecurityElement.Escape(title)}</text>\n");
        svg.Append($"<line x1=\"{left}\" y1=\"{height - bottom}\" x2=\"{width - right}\" y2=\"{height - bottom}\" stroke=\"black\"/>\n");
        svg.Append($"<line x1=\"{left}\" y1=\"{top}\" x2=\"{left}\" y2=\"{height - bottom}\" stroke=\"black\"/>\n");
        for (var k = 0; k <= 4; k++)
        {
            var y = minY + (maxY - minY) * k / 4;
            svg.Append($"<text x=\"{left - 6}\" y=\"{Y(y)}\" text-anchor=\"end\">{y.ToString("G3", c)}</text>\n");
            var x = minX + (maxX - minX) * k / 4;
            svg.Append($"<text x=\"{X(x)}\" y=\"{height - bottom + 16}\" text-anchor=\"middle\">{Math.Round(x).ToString(c)}</text>\n");
        }
        svg.Append($"<text x=\"{(width / 2).ToString(c)}\" y=\"{height - 8}\" text-anchor=\"middle\">step</text>\n");
        if (train.Count > 0) svg.Append($"<path d=\"{Path(train)}\" fill=\"none\" stroke=\"#1f77b4\" stroke-width=\"1.5\"/>\n");
        if (validation.Count > 0)
        {
            svg.Append($"<path d=\"{Path(validation)}\" fill=\"none\" stroke=\"#d62728\" stroke-width=\"2\"/>\n");
            foreach (var p in validation) svg.Append($"<circle cx=\"{X(p.X)}\" cy=\"{Y(p.Y)}\" r=\"3\" fill=\"#d62728\"/>\n");
        }
        svg.Append($"<text x=\"{width - right - 150}\" y=\"{top}\" fill=\"#1f77b4\">— train loss</text>\n");
        svg.Append($"<text x=\"{width - right - 150}\" y=\"{top + 16}\" fill=\"#d62728\">— validation loss</text>\n");
        svg.Append("</svg>\n");
        return svg.ToString();
    }
}
