using System.Globalization;
using System.Text;
using System.Text.Json;

namespace Liquid.Harness.Data;

/// <summary>
/// Reads JSON Lines: one object per line, one key per field, e.g.
/// <c>{"x": [[0.1, 0.2, 0.3], [0.4, 0.5, 0.6]], "dt": [1.0, 0.5], "y": 3}</c>. A field's value is a
/// number or boolean for a scalar field and nested arrays of its per-example shape otherwise
/// (floats: any JSON number within float32's range; longs: integers; bools: true/false or 1/0).
/// A null dimension is taken from the first example and must be the same in every other one.
/// Blank lines are skipped.
/// </summary>
internal static class JsonlExamples
{
    public static ExampleTable Read(string path, IReadOnlyList<FieldSpec> fields, bool allowUnused)
    {
        var buffers = fields.Select(f => new FieldBuffer(f)).ToArray();
        var count = 0;
        var lineNumber = 0;
        var values = new Dictionary<string, JsonElement>(StringComparer.Ordinal);
        foreach (var line in Lines(path))
        {
            lineNumber++;
            if (string.IsNullOrWhiteSpace(line)) continue;
            var where = $"{path}:{lineNumber}";
            JsonDocument document;
            try
            {
                document = JsonDocument.Parse(line);
            }
            catch (JsonException e)
            {
                throw new DataException($"{where}: not valid JSON ({e.Message})");
            }
            using (document)
            {
                var root = document.RootElement;
                if (root.ValueKind != JsonValueKind.Object)
                    throw new DataException($"{where}: expected a JSON object with keys {Naming.Expected(fields)}, found {Describe(root.ValueKind)}");
                values.Clear();
                foreach (var property in root.EnumerateObject())
                    if (!values.TryAdd(property.Name, property.Value))
                        throw new DataException($"{where}: key '{property.Name}' appears twice");
                foreach (var buffer in buffers)
                {
                    var field = buffer.Spec;
                    if (!values.TryGetValue(field.Name, out var value))
                        throw Naming.Missing(where, "key", field, "keys " + Naming.List(values.Keys.Select(k => $"'{k}'")), fields);
                    if (buffer.Shape is null)
                    {
                        var shape = ShapeOf(value, field, where);
                        if (Naming.Misfit(field, shape) is { } misfit) throw new DataException($"{where}: {misfit}");
                        buffer.Shape = shape;
                    }
                    Append(value, buffer, 0, field.Name, where, count > 0);
                }
                if (!allowUnused && values.Keys.Where(k => !fields.Any(f => f.Name == k)).ToList() is { Count: > 0 } unused)
                    throw Naming.Unused(where, "key", unused.Select(k => $"'{k}'").ToList(), fields);
            }
            count++;
        }
        if (count == 0) throw new DataException($"{path}: the file is empty (one JSON object per line is expected)");
        return new ExampleTable(path, count, buffers.ToDictionary(b => b.Spec.Name, b => (b.Shape!, b.ToArray()), StringComparer.Ordinal));
    }

    private static IEnumerable<string> Lines(string path)
    {
        StreamReader reader;
        try
        {
            reader = new StreamReader(path, Encoding.UTF8, detectEncodingFromByteOrderMarks: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new DataException($"{path}: cannot read the file: {e.Message}");
        }
        using (reader)
            while (reader.ReadLine() is { } line)
                yield return line;
    }

    /// <summary>The shape the first example gives a field: the lengths of its first arrays, outermost first.</summary>
    private static long[] ShapeOf(JsonElement value, FieldSpec field, string where)
    {
        var shape = new List<long>();
        var element = value;
        while (element.ValueKind == JsonValueKind.Array && shape.Count < field.Shape.Count)
        {
            var length = element.GetArrayLength();
            if (length == 0) throw new DataException($"{where}: '{field.Name}'{Path(shape.Select(_ => 0L))} is an empty array; every dimension of {field} needs at least one element");
            shape.Add(length);
            element = element[0];
        }
        if (shape.Count < field.Shape.Count || element.ValueKind == JsonValueKind.Array)
            throw new DataException($"{where}: '{field.Name}' must be {Nesting(field.Shape.Count)} for {field}, found {Describe(element.ValueKind)} at '{field.Name}'{Path(shape.Select(_ => 0L))}");
        return shape.ToArray();
    }

    /// <summary>Checks the nesting against the field's shape and appends the values in row-major order.</summary>
    private static void Append(JsonElement element, FieldBuffer buffer, int depth, string path, string where, bool shapeFromEarlier)
    {
        var shape = buffer.Shape!;
        if (depth < shape.Length)
        {
            if (element.ValueKind != JsonValueKind.Array)
                throw new DataException($"{where}: '{path}' must be {Nesting(shape.Length - depth)} for {buffer.Spec}, found {Describe(element.ValueKind)}");
            var length = element.GetArrayLength();
            if (length != shape[depth])
            {
                var origin = shapeFromEarlier && buffer.Spec.Shape[depth] is null ? " (taken from the first example; every example must have the same shape)" : "";
                throw new DataException($"{where}: '{path}' has {length} elements, expected {shape[depth]} for {buffer.Spec}{origin}");
            }
            var i = 0;
            foreach (var item in element.EnumerateArray())
                Append(item, buffer, depth + 1, $"{path}[{i++}]", where, shapeFromEarlier);
            return;
        }
        switch (buffer.Spec.Type)
        {
            case FieldType.Float32:
                if (element.ValueKind != JsonValueKind.Number)
                    throw new DataException($"{where}: '{path}' must be a number, found {Describe(element.ValueKind)}");
                var number = (float)element.GetDouble();
                if (!float.IsFinite(number))
                    throw new DataException($"{where}: '{path}' = {element.GetRawText()} is outside the float32 range");
                buffer.Add(number);
                break;
            case FieldType.Int64:
                if (element.ValueKind != JsonValueKind.Number || !element.TryGetInt64(out var integer))
                    throw new DataException($"{where}: '{path}' must be an integer, found {(element.ValueKind == JsonValueKind.Number ? element.GetRawText() : Describe(element.ValueKind))}");
                buffer.Add(integer);
                break;
            default:
                if (element.ValueKind is JsonValueKind.True or JsonValueKind.False) buffer.Add(element.GetBoolean());
                else if (element.ValueKind == JsonValueKind.Number && element.TryGetInt64(out var bit) && bit is 0 or 1) buffer.Add(bit == 1);
                else throw new DataException($"{where}: '{path}' must be true, false, 1 or 0, found {(element.ValueKind == JsonValueKind.Number ? element.GetRawText() : Describe(element.ValueKind))}");
                break;
        }
    }

    private static string Nesting(int depth) => depth switch
    {
        0 => "a single value",
        1 => "an array of values",
        2 => "an array of arrays",
        _ => $"arrays nested {depth} deep",
    };

    private static string Path(IEnumerable<long> index) => string.Concat(index.Select(i => $"[{i.ToString(CultureInfo.InvariantCulture)}]"));

    private static string Describe(JsonValueKind kind) => kind switch
    {
        JsonValueKind.Object => "an object",
        JsonValueKind.Array => "an array",
        JsonValueKind.String => "a string",
        JsonValueKind.Number => "a number",
        JsonValueKind.True or JsonValueKind.False => "a boolean",
        JsonValueKind.Null => "null",
        _ => "nothing",
    };
}
