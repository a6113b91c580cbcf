using System.Globalization;

namespace Liquid.Harness.Data;

/// <summary>
/// Reads CSV (comma) and TSV (tab) files with a header row into fields, by column name: a scalar
/// field <c>y</c> takes the column <c>y</c>; a field <c>x</c> of shape [F] takes <c>x_0 … x_{F-1}</c>,
/// and of shape [T, C] takes <c>x_0_0, x_0_1 … x_{T-1}_{C-1}</c> (row-major; header order does not
/// matter). A null dimension is the largest index in the header plus one. Booleans are true/false or
/// 1/0. Blank lines are skipped; CSV cells may be double-quoted (with "" for a quote), TSV cells not.
/// </summary>
internal static class CsvExamples
{
    public static ExampleTable Read(string path, char delimiter, IReadOnlyList<FieldSpec> fields, bool allowUnused)
    {
        using var reader = Open(path);
        var lineNumber = 0;
        string? header = null;
        while (reader.ReadLine() is { } line)
        {
            lineNumber++;
            if (!string.IsNullOrWhiteSpace(line))
            {
                header = line;
                break;
            }
        }
        if (header is null) throw new DataException($"{path}: the file is empty (a header row naming the columns is expected)");

        var ranges = new List<Range>();
        Split(header, delimiter, ranges, path, lineNumber);
        var names = ranges.Select(r => header[r].Trim().Replace("\"\"", "\"", StringComparison.Ordinal)).ToArray();
        var headerLine = lineNumber;
        var columns = MapColumns(path, headerLine, names, fields, allowUnused);

        var buffers = columns.Select(c => new FieldBuffer(c.Field) { Shape = c.Shape }).ToArray();
        var count = 0;
        while (reader.ReadLine() is { } line)
        {
            lineNumber++;
            if (string.IsNullOrWhiteSpace(line)) continue;
            Split(line, delimiter, ranges, path, lineNumber);
            if (ranges.Count != names.Length)
                throw new DataException($"{path}:{lineNumber}: {ranges.Count} cell{(ranges.Count == 1 ? "" : "s")}, but the header (line {headerLine}) has {names.Length} columns");
            for (var f = 0; f < columns.Length; f++)
            {
                var buffer = buffers[f];
                foreach (var column in columns[f].ColumnOfElement)
                    ParseCell(line.AsSpan()[ranges[column]].Trim(), buffer, path, lineNumber, names[column]);
            }
            count++;
        }
        if (count == 0) throw new DataException($"{path}: the file has a header but no examples");
        return new ExampleTable(path, count, buffers.ToDictionary(b => b.Spec.Name, b => (b.Shape!, b.ToArray()), StringComparer.Ordinal));
    }

    private static StreamReader Open(string path)
    {
        try
        {
            return new StreamReader(path, detectEncodingFromByteOrderMarks: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new DataException($"{path}: cannot read the file: {e.Message}");
        }
    }

    /// <summary>One field and, for each of its elements in row-major order, the header column holding it.</summary>
    private sealed record FieldColumns(FieldSpec Field, long[] Shape, int[] ColumnOfElement);

    private static FieldColumns[] MapColumns(string path, int headerLine, string[] names, IReadOnlyList<FieldSpec> fields, bool allowUnused)
    {
        var where = $"{path}:{headerLine}";
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var name in names)
        {
            if (name.Length == 0) throw new DataException($"{where}: the header has an empty column name");
            if (!seen.Add(name)) throw new DataException($"{where}: the header names column '{name}' twice");
        }

        // Each header column goes to the one field it names: exactly (scalars) or as name_i_j (arrays).
        var indices = fields.ToDictionary(f => f.Name, _ => new List<(long[] Index, int Column)>(), StringComparer.Ordinal);
        var unused = new List<string>();
        for (var column = 0; column < names.Length; column++)
        {
            var hits = new List<(FieldSpec Field, long[] Index)>();
            foreach (var field in fields)
                if (Parse(names[column], field) is { } index) hits.Add((field, index));
            if (hits.Count > 1)
                throw new DataException($"{where}: column '{names[column]}' could belong to field {string.Join(" or ", hits.Select(h => $"'{h.Field.Name}'"))}; rename one of the fields");
            if (hits.Count == 0) unused.Add(names[column]);
            else indices[hits[0].Field.Name].Add((hits[0].Index, column));
        }

        var result = new FieldColumns[fields.Count];
        for (var f = 0; f < fields.Count; f++)
        {
            var field = fields[f];
            var found = indices[field.Name];
            var hint = field.Shape.Count == 0 ? "" : $" (expected columns {field.Name}{string.Concat(Enumerable.Repeat("_0", field.Shape.Count))} …)";
            if (found.Count == 0) throw Naming.Missing(where, "column", field, "columns " + Naming.List(names.Select(n => $"'{n}'")), fields, hint);
            var shape = new long[field.Shape.Count];
            for (var d = 0; d < shape.Length; d++)
            {
                var largest = found.Max(x => x.Index[d]) + 1;
                shape[d] = field.Shape[d] ?? largest;
                if (largest > shape[d])
                {
                    var outside = found.First(x => x.Index[d] >= shape[d]);
                    throw new DataException($"{where}: column '{names[outside.Column]}' lies outside the shape of the model's field {field}");
                }
            }
            var size = checked((int)shape.Aggregate(1L, (a, b) => a * b));
            var columnOf = new int[size];
            Array.Fill(columnOf, -1);
            foreach (var (index, column) in found) columnOf[Flat(index, shape)] = column;
            var missing = Enumerable.Range(0, size).Where(i => columnOf[i] < 0).Select(i => $"{field.Name}_{string.Join('_', Unflatten(i, shape))}").ToList();
            if (missing.Count > 0)
                throw new DataException($"{where}: field {field} is {ExampleField.ShapeText(shape)} per example, but the header lacks column(s) {Naming.List(missing)}");
            result[f] = new FieldColumns(field, shape, columnOf);
        }
        if (unused.Count > 0 && !allowUnused) throw Naming.Unused(where, "column", unused.Select(n => $"'{n}'").ToList(), fields);
        return result;
    }

    /// <summary>The element index a header name gives <paramref name="field"/>, or null if it is not one of its columns.</summary>
    private static long[]? Parse(string name, FieldSpec field)
    {
        if (field.Shape.Count == 0) return name == field.Name ? [] : null;
        if (!name.StartsWith(field.Name + "_", StringComparison.Ordinal)) return null;
        var parts = name[(field.Name.Length + 1)..].Split('_');
        if (parts.Length != field.Shape.Count) return null;
        var index = new long[parts.Length];
        for (var d = 0; d < parts.Length; d++)
        {
            // Digits only, and no leading zeros, so that x_1 and x_01 cannot both name one element.
            var part = parts[d];
            if (part.Length == 0 || part.Length > 9 || !part.All(char.IsAsciiDigit) || (part.Length > 1 && part[0] == '0')) return null;
            index[d] = long.Parse(part, CultureInfo.InvariantCulture);
        }
        return index;
    }

    private static int Flat(long[] index, long[] shape)
    {
        long flat = 0;
        for (var d = 0; d < shape.Length; d++) flat = flat * shape[d] + index[d];
        return (int)flat;
    }

    private static long[] Unflatten(int flat, long[] shape)
    {
        var index = new long[shape.Length];
        for (var d = shape.Length - 1; d >= 0; d--)
        {
            index[d] = flat % shape[d];
            flat = (int)(flat / shape[d]);
        }
        return index;
    }

    private static void ParseCell(ReadOnlySpan<char> cell, FieldBuffer buffer, string path, int line, string column)
    {
        switch (buffer.Spec.Type)
        {
            case FieldType.Float32:
                if (!float.TryParse(cell, NumberStyles.Float, CultureInfo.InvariantCulture, out var number))
                    throw BadCell(path, line, column, cell, IsInfinityWord(cell) ? "is not finite (NaN and infinities are rejected)" : "is not a number");
                if (!float.IsFinite(number))
                    throw BadCell(path, line, column, cell, double.TryParse(cell, NumberStyles.Float, CultureInfo.InvariantCulture, out var wide) && double.IsFinite(wide)
                        ? "is outside the float32 range" : "is not finite (NaN and infinities are rejected)");
                buffer.Add(number);
                break;
            case FieldType.Int64:
                if (!long.TryParse(cell, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var integer))
                    throw BadCell(path, line, column, cell, "is not an integer");
                buffer.Add(integer);
                break;
            default:
                if (cell is "1" || cell.Equals("true", StringComparison.OrdinalIgnoreCase)) buffer.Add(true);
                else if (cell is "0" || cell.Equals("false", StringComparison.OrdinalIgnoreCase)) buffer.Add(false);
                else throw BadCell(path, line, column, cell, "is not a boolean (true, false, 1 or 0)");
                break;
        }
    }

    // numpy and pandas write "inf", which .NET does not parse; it deserves the same message as "Infinity".
    private static bool IsInfinityWord(ReadOnlySpan<char> cell)
    {
        var unsigned = cell.TrimStart("+-");
        return unsigned.Equals("inf", StringComparison.OrdinalIgnoreCase) || unsigned.Equals("infinity", StringComparison.OrdinalIgnoreCase);
    }

    private static DataException BadCell(string path, int line, string column, ReadOnlySpan<char> cell, string problem)
    {
        var text = cell.Length > 40 ? string.Concat(cell[..37], "...") : cell.ToString();
        return new DataException($"{path}:{line}: column '{column}': '{text}' {problem}");
    }

    /// <summary>Splits one line into cell ranges (inside the quotes for a quoted CSV cell).</summary>
    private static void Split(string line, char delimiter, List<Range> cells, string path, int lineNumber)
    {
        cells.Clear();
        var quoting = delimiter == ',';
        var i = 0;
        while (true)
        {
            var start = i;
            while (start < line.Length && line[start] == ' ') start++;
            if (quoting && start < line.Length && line[start] == '"')
            {
                var end = start + 1;
                while (true)
                {
                    end = line.IndexOf('"', end);
                    if (end < 0) throw new DataException($"{path}:{lineNumber}: a quoted cell is not closed (a quoted cell cannot span lines)");
                    if (end + 1 < line.Length && line[end + 1] == '"') end += 2;
                    else break;
                }
                cells.Add(new Range(start + 1, end));
                i = end + 1;
                while (i < line.Length && line[i] == ' ') i++;
                if (i == line.Length) return;
                if (line[i] != delimiter) throw new DataException($"{path}:{lineNumber}: text after the closing quote of cell {cells.Count}");
                i++;
                continue;
            }
            var next = line.IndexOf(delimiter, i);
            if (next < 0)
            {
                cells.Add(new Range(i, line.Length));
                return;
            }
            cells.Add(new Range(i, next));
            i = next + 1;
        }
    }
}
