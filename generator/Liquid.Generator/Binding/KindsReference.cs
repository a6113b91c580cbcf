using System.Linq;
using System.Text;

namespace Liquid.Generator.Binding;

/// <summary>
/// Writes generator/KINDS.md, the reference of every layer kind, from <see cref="LayerKinds.All"/>;
/// a test compares the committed file with this output, so adding a kind never means editing prose.
/// </summary>
internal static class KindsReference
{
    public static string Write()
    {
        var w = new StringBuilder();
        w.Append("# Layer kinds\n\n");
        w.Append("Written from the generator's registry (`generator/Liquid.Generator/Binding/LayerKinds.cs`) by the tests:\n");
        w.Append("run them with `UPDATE_SNAPSHOTS=1` after adding or changing a kind. The language is described in README.md.\n\n");
        w.Append("Every layer also takes `name:` (its state-dict name), `in:` (the values it reads, by name) and `as:` (names\n");
        w.Append("for its outputs). Inputs are read in the order listed; the first output is the one the next layer reads.\n\n");
        w.Append("| kind | what it does | runtime class |\n|---|---|---|\n");
        foreach (var kind in LayerKinds.All)
            w.Append($"| [`{kind.Name}`](#{kind.Name}) | {Cell(kind.Doc)} | `{(kind.RuntimeClass.Length == 0 ? "your class" : kind.RuntimeClass)}` |\n");
        foreach (var kind in LayerKinds.All)
        {
            w.Append($"\n## {kind.Name}\n\n{kind.Doc}\n\n");
            w.Append($"Runtime class: `{(kind.RuntimeClass.Length == 0 ? "the class named by 'class'" : "Liquid.Runtime.Nn." + kind.RuntimeClass)}`");
            if (kind.ScalarArg is { } scalar) w.Append($"; `{kind.Name}: value` sets `{scalar}`");
            w.Append(".\n\n");
            w.Append("| port | | what |\n|---|---|---|\n");
            foreach (var port in kind.Inputs) w.Append($"| `{port.Name}` | in{(port.Optional ? " (optional)" : "")} | {Cell(port.Doc)} |\n");
            foreach (var port in kind.Outputs)
                w.Append($"| `{port.Name}` | out{(port == kind.Outputs[0] ? " (primary)" : "")}{(port.Kind == PortKind.Loss ? ", loss" : port.Kind == PortKind.State ? $", state {port.StateType}" : "")} | {Cell(port.Doc)} |\n");
            if (kind.Args.Count == 0)
            {
                w.Append("\nNo arguments of its own.\n");
                continue;
            }
            w.Append("\n| argument | type | default | what |\n|---|---|---|---|\n");
            foreach (var arg in kind.Args)
            {
                var type = arg.Kind switch
                {
                    ArgKind.Int => "integer",
                    ArgKind.Float => "number",
                    ArgKind.Bool => "bool",
                    ArgKind.Enum => string.Join(" \\| ", arg.Values!),
                    ArgKind.Reference => "layer name",
                    ArgKind.Body => "list of layers",
                    _ => "text",
                } + (arg.Nullable ? " or null" : "");
                var fallback = arg.Required ? "required" : arg.Default ?? "—";
                w.Append($"| `{arg.Name}` | {type} | {fallback} | {Cell(arg.Doc)} |\n");
            }
        }
        return w.ToString();
    }

    private static string Cell(string text) => text.Replace("|", "\\|").Replace("\n", " ");
}
