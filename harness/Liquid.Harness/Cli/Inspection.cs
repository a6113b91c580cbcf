using System.Globalization;
using Liquid.Runtime.Models;
using Spectre.Console;

namespace Liquid.Harness.Cli;

/// <summary>
/// What <c>liquid inspect</c> shows, all read from the model itself: its layers with the kind and
/// output type the model file gave them (<see cref="CompiledModel.LayerShapes"/>), the parameters of
/// every module, and the FLOPs each module reports (<c>Module.FlopsPerPosition</c>).
/// </summary>
internal static class Inspection
{
    public static Table LayerTable(CompiledModel model)
    {
        var table = new Table().AddColumns("path", "kind", "output", "parameters");
        table.Columns[3].RightAligned();
        var shapes = model.LayerShapes;
        foreach (var (path, module) in model.NamedModules())
        {
            if (path.Length == 0) continue;
            var shape = Find(shapes, path);
            var parameters = module.NamedParameters().Sum(p => p.Parameter.NumElements);
            table.AddRow(Markup.Escape(path), Markup.Escape(shape?.Kind ?? module.Kind), Markup.Escape(shape?.Output ?? ""), Commands.Format(parameters));
        }
        return table;
    }

    /// <summary>The row of the model file's layer at <paramref name="path"/>; <c>*</c> in a row's path stands for a block's index.</summary>
    private static LayerShape? Find(IReadOnlyList<LayerShape> shapes, string path)
    {
        var parts = path.Split('.');
        return shapes.FirstOrDefault(shape =>
        {
            var pattern = shape.Path.Split('.');
            return pattern.Length == parts.Length && pattern.Zip(parts, (p, q) => p == "*" ? q.All(char.IsDigit) : p == q).All(match => match);
        });
    }

    /// <summary>Forward FLOPs per position at the model's context (or 1 position when unbounded): the sum of what every module reports.</summary>
    public static long FlopsPerPosition(CompiledModel model)
    {
        var context = model.Context ?? 1;
        return model.NamedModules().Sum(m => m.Module.FlopsPerPosition(context));
    }

    public static string Describe(long flops, long? context) =>
        $"forward FLOPs per position: {Commands.Format(flops)} (at context {context?.ToString(CultureInfo.InvariantCulture) ?? "n/a"})";
}
