using System.Globalization;
using System.Security;
using System.Text;
using System.Text.Json;

namespace Liquid.Harness.Monitoring;

/// <summary>
/// Draws activations.jsonl as two heat maps in one SVG: each module's largest |activation| and each
/// module's gradient norm (its parameters' norms combined), one row per module, one column per
/// recorded step, on a log scale. A run drifting towards overflow shows as a row warming up; a
/// non-finite value is a red cell with a cross, and the first one is named under the title.
/// </summary>
/// <remarks>
/// Heat maps rather than lines: a model has tens to hundreds of modules, and a row per module stays
/// readable where as many overlapping lines would not. With several micro-batches in a step, a cell
/// shows the largest value of the step.
/// </remarks>
public static class ActivationPlot
{
    /// <summary>One heat map: row names, column steps, and a value per cell (NaN: non-finite, null: not recorded).</summary>
    public sealed record Grid(IReadOnlyList<string> Rows, IReadOnlyList<long> Steps, double?[,] Values);

    /// <summary>Writes <paramref name="svgPath"/> from <paramref name="jsonlPath"/>.</summary>
    public static void Write(string jsonlPath, string svgPath, string title)
    {
        var (activations, gradients, firstNonFinite) = Read(jsonlPath);
        File.WriteAllText(svgPath, Render(activations, gradients, firstNonFinite, title));
    }

    /// <summary>The two grids and the first non-finite value's description, from a log's lines.</summary>
    public static (Grid Activations, Grid Gradients, string? FirstNonFinite) Read(string jsonlPath)
    {
        var activations = new Cells();
        var gradients = new Cells();
        string? firstNonFinite = null;
        foreach (var line in File.ReadLines(jsonlPath))
        {
            JsonElement record;
            try
            {
                record = JsonDocument.Parse(line).RootElement;
            }
            catch (JsonException)
            {
                continue; // a line cut by a kill
            }
            if (record.ValueKind != JsonValueKind.Object || !record.TryGetProperty("type", out var type) || !record.TryGetProperty("step", out var stepValue)) continue;
            var step = stepValue.GetInt64();
            switch (type.GetString())
            {
                case "activation":
                    activations.Add(record.GetProperty("module").GetString()!, step, Value(record, "max_abs", record.GetProperty("non_finite").GetInt64()), combine: Math.Max);
                    break;
                case "gradient":
                    // A module's gradient norm is the root of the sum of its parameters' squared norms.
                    var parameter = record.GetProperty("parameter").GetString()!;
                    var module = parameter.LastIndexOf('.') is var dot and > 0 ? parameter[..dot] : "(root)";
                    var norm = Value(record, "norm", record.GetProperty("non_finite").GetInt64());
                    gradients.Add(module, step, norm * norm, combine: (a, b) => a + b);
                    break;
                case "non_finite":
                    firstNonFinite ??= $"first non-finite {record.GetProperty("what").GetString()}: {record.GetProperty("path").GetString()} at step {step}";
                    break;
            }
        }
        return (activations.ToGrid(v => v), gradients.ToGrid(Math.Sqrt), firstNonFinite);
    }

    private static double Value(JsonElement record, string name, long nonFinite) =>
        nonFinite > 0 || record.GetProperty(name).ValueKind != JsonValueKind.Number ? double.NaN : record.GetProperty(name).GetDouble();

    /// <summary>Cells in the order modules and steps first appear.</summary>
    private sealed class Cells
    {
        private readonly List<string> _rows = new();
        private readonly SortedSet<long> _steps = new();
        private readonly Dictionary<(string Row, long Step), double> _values = new();

        public void Add(string row, long step, double value, Func<double, double, double> combine)
        {
            if (!_rows.Contains(row)) _rows.Add(row);
            _steps.Add(step);
            // NaN wins over any finite value (Math.Max and + keep it).
            _values[(row, step)] = _values.TryGetValue((row, step), out var old) ? combine(old, value) : value;
        }

        public Grid ToGrid(Func<double, double> finish)
        {
            var steps = _steps.ToList();
            var values = new double?[_rows.Count, steps.Count];
            for (var r = 0; r < _rows.Count; r++)
                for (var c = 0; c < steps.Count; c++)
                    values[r, c] = _values.TryGetValue((_rows[r], steps[c]), out var v) ? finish(v) : null;
            return new Grid(_rows, steps, values);
        }
    }

    private const double Left = 230, Right = 110, CellHeight = 14, PlotWidth = 560;

    private static string Render(Grid activations, Grid gradients, string? firstNonFinite, string title)
    {
        var c = CultureInfo.InvariantCulture;
        var svg = new StringBuilder();
        var height = 60 + PanelHeight(activations) + PanelHeight(gradients);
        var width = Left + PlotWidth + Right;
        svg.Append(c, $"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{width}\" height=\"{height}\" font-family=\"sans-serif\" font-size=\"11\" shape-rendering=\"crispEdges\">\n");
        svg.Append("<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n");
        svg.Append(c, $"<text x=\"10\" y=\"20\" font-size=\"14\">{SecurityElement.Escape(title)}</text>\n");
        if (firstNonFinite is not null) svg.Append(c, $"<text x=\"10\" y=\"38\" fill=\"#d62728\">{SecurityElement.Escape(firstNonFinite)}</text>\n");
        var top = 60.0;
        top = Panel(svg, activations, "largest |activation| per module (log10)", top);
        Panel(svg, gradients, "gradient norm per module (log10)", top);
        svg.Append("</svg>\n");
        return svg.ToString();
    }

    private static double PanelHeight(Grid grid) => 40 + Math.Max(grid.Rows.Count, 1) * CellHeight + 20;

    private static double Panel(StringBuilder svg, Grid grid, string caption, double top)
    {
        var c = CultureInfo.InvariantCulture;
        svg.Append(c, $"<text x=\"{Left}\" y=\"{top + 12}\" font-size=\"12\">{caption}</text>\n");
        var gridTop = top + 20;
        if (grid.Rows.Count == 0 || grid.Steps.Count == 0)
        {
            svg.Append(c, $"<text x=\"{Left}\" y=\"{gridTop + 12}\">nothing recorded</text>\n");
            return top + PanelHeight(grid);
        }
        var logs = new List<double>();
        foreach (var v in grid.Values)
            if (v is { } x && double.IsFinite(x) && x > 0) logs.Add(Math.Log10(x));
        double low = logs.Count > 0 ? logs.Min() : 0, high = logs.Count > 0 ? logs.Max() : 1;
        if (high - low < 1e-9) high = low + 1;
        var cellWidth = PlotWidth / grid.Steps.Count;
        for (var r = 0; r < grid.Rows.Count; r++)
        {
            var y = gridTop + r * CellHeight;
            var label = grid.Rows[r].Length > 38 ? "…" + grid.Rows[r][^37..] : grid.Rows[r];
            svg.Append(c, $"<text x=\"{Left - 6}\" y=\"{y + CellHeight - 3:F1}\" text-anchor=\"end\">{SecurityElement.Escape(label)}</text>\n");
            for (var k = 0; k < grid.Steps.Count; k++)
            {
                if (grid.Values[r, k] is not { } value) continue;
                var x = Left + k * cellWidth;
                if (!double.IsFinite(value))
                {
                    svg.Append(c, $"<rect x=\"{x:F1}\" y=\"{y:F1}\" width=\"{cellWidth:F2}\" height=\"{CellHeight}\" fill=\"#d62728\" class=\"non-finite\"><title>{SecurityElement.Escape(grid.Rows[r])} step {grid.Steps[k]}: non-finite</title></rect>\n");
                    svg.Append(c, $"<path d=\"M{x:F1},{y:F1}l{cellWidth:F2},{CellHeight}m0,-{CellHeight}l-{cellWidth:F2},{CellHeight}\" stroke=\"white\" stroke-width=\"1\"/>\n");
                    continue;
                }
                var share = value > 0 ? (Math.Log10(value) - low) / (high - low) : 0;
                svg.Append(c, $"<rect x=\"{x:F1}\" y=\"{y:F1}\" width=\"{cellWidth:F2}\" height=\"{CellHeight}\" fill=\"{Colour(share)}\"><title>{SecurityElement.Escape(grid.Rows[r])} step {grid.Steps[k]}: {value.ToString("G4", c)}</title></rect>\n");
            }
        }
        var bottom = gridTop + grid.Rows.Count * CellHeight;
        // Step labels at the first, middle and last column.
        foreach (var k in new[] { 0, grid.Steps.Count / 2, grid.Steps.Count - 1 }.Distinct())
            svg.Append(c, $"<text x=\"{Left + (k + 0.5) * cellWidth:F1}\" y=\"{bottom + 13:F1}\" text-anchor=\"middle\">{grid.Steps[k]}</text>\n");
        svg.Append(c, $"<text x=\"{Left + PlotWidth / 2:F1}\" y=\"{bottom + 26:F1}\" text-anchor=\"middle\">step</text>\n");
        // The colour key: log10 of the smallest and largest finite value.
        var keyX = Left + PlotWidth + 14;
        for (var i = 0; i < 10; i++)
            svg.Append(c, $"<rect x=\"{keyX}\" y=\"{gridTop + i * 8:F1}\" width=\"12\" height=\"8\" fill=\"{Colour(1 - i / 9.0)}\"/>\n");
        svg.Append(c, $"<text x=\"{keyX + 16}\" y=\"{gridTop + 8:F1}\">{high.ToString("F2", c)}</text>\n");
        svg.Append(c, $"<text x=\"{keyX + 16}\" y=\"{gridTop + 80:F1}\">{low.ToString("F2", c)}</text>\n");
        return top + PanelHeight(grid);
    }

    /// <summary>A dark-blue → teal → yellow ramp (viridis's ends and middle), light for large values.</summary>
    private static string Colour(double share)
    {
        share = Math.Clamp(share, 0, 1);
        (double R, double G, double B)[] stops = [(68, 1, 84), (33, 145, 140), (253, 231, 37)];
        var scaled = share * (stops.Length - 1);
        var i = Math.Min((int)scaled, stops.Length - 2);
        var t = scaled - i;
        int Mix(double a, double b) => (int)Math.Round(a + (b - a) * t);
        return $"#{Mix(stops[i].R, stops[i + 1].R):x2}{Mix(stops[i].G, stops[i + 1].G):x2}{Mix(stops[i].B, stops[i + 1].B):x2}";
    }
}
