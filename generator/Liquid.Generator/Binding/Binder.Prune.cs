using System.Collections.Generic;
using System.Linq;
using System.Runtime.CompilerServices;

namespace Liquid.Generator.Binding;

internal sealed partial class Binder
{
    // Every assignment of an unnamed output to the stream, with the value it made: the ones nothing
    // reads become discards, so generated code computes nothing it throws away into a variable.
    private readonly List<(LayerStep Step, int Output, BoundValue Value)> _streamAssignments = new();

    /// <summary><paramref name="steps"/> with the stream outputs nothing read turned into discards.</summary>
    private List<Step> Prune(IEnumerable<Step> steps)
    {
        var dead = new Dictionary<LayerStep, HashSet<int>>(ByReference.Instance);
        foreach (var (step, output, value) in _streamAssignments)
        {
            if (value.Used || value.Exported) continue;
            if (!dead.TryGetValue(step, out var outputs)) dead[step] = outputs = new HashSet<int>();
            outputs.Add(output);
        }
        Step Rewrite(Step step) => step switch
        {
            LayerStep layer when dead.TryGetValue(layer, out var outputs) => layer with
            {
                Layer = layer.Layer with { Outputs = layer.Layer.Outputs.Select((o, i) => outputs.Contains(i) ? o with { Local = null } : o).ToEquatableArray() },
            },
            ResidualStep residual => residual with { Body = residual.Body.Select(Rewrite).ToEquatableArray() },
            _ => step,
        };
        return steps.Select(Rewrite).ToList();
    }

    private sealed class ByReference : IEqualityComparer<LayerStep>
    {
        public static ByReference Instance { get; } = new();

        public bool Equals(LayerStep? x, LayerStep? y) => ReferenceEquals(x, y);

        public int GetHashCode(LayerStep obj) => RuntimeHelpers.GetHashCode(obj);
    }
}
