using System.Globalization;
using Liquid.Runtime.Models;
using Liquid.Runtime.Nn;
using Spectre.Console;

namespace Liquid.Harness.Cli;

/// <summary>What <c>liquid inspect</c> shows: layers with output shapes and parameter counts, and FLOPs.</summary>
internal static class Inspection
{
    public static Table LayerTable(CompiledModel model)
    {
        var table = new Table().AddColumns("path", "kind", "output", "parameters");
        table.Columns[3].RightAligned();
        foreach (var (path, module) in model.NamedModules())
        {
            if (path.Length == 0) continue;
            var own = module.NamedParameters().Sum(p => p.Parameter.NumElements);
            table.AddRow(Markup.Escape(path), module.Kind, Markup.Escape(OutputShape(module)), Commands.Format(own));
        }
        return table;
    }

    /// <summary>The shape a layer produces on the [B, T, C] stream, from its options.</summary>
    private static string OutputShape(Module module) => module switch
    {
        Embedding e => $"[B, T, {e.Options.Dim}]",
        LearnedPositionEmbedding p => $"[B, T, {p.Options.Dim}]",
        Linear l => $"[B, T, {l.Options.OutFeatures}]",
        LayerNorm n => $"[B, T, {n.Options.Dim}]",
        RmsNorm n => $"[B, T, {n.Options.Dim}]",
        Attention a => $"[B, T, {a.Options.Dim}]",
        Mlp m => $"[B, T, {m.Options.Dim}]",
        Conv1d c => $"[B, {c.Options.OutChannels}, T]",
        RecurrentBase r => $"[B, T, {r.Options.HiddenSize * (r.Options.Bidirectional ? 2 : 1)}]",
        _ when module.GetType().Name.EndsWith("Block", StringComparison.Ordinal) => "[B, T, C]",
        _ => "",
    };

    /// <summary>
    /// Forward multiply-adds ×2 per token at the model's full context: every Linear (including a tied
    /// head, which multiplies by the embedding) plus attention's QKᵀ and AV products (Kaplan et al.'s
    /// 2N + 2·layers·context·width, counted layer by layer).
    /// </summary>
    public static long FlopsPerToken(CompiledModel model)
    {
        long flops = 0;
        var context = model.Context ?? 1;
        foreach (var (_, module) in model.NamedModules())
        {
            switch (module)
            {
                case Linear linear: flops += 2 * linear.Options.InFeatures * linear.Options.OutFeatures; break;
                case Attention attention: flops += 2 * 2 * context * attention.Options.Dim; break;
                case Conv1d conv: flops += 2 * conv.Options.OutChannels * conv.Options.InChannels / conv.Options.Groups * conv.Options.Kernel; break;
                case RecurrentBase rnn: flops += 2 * rnn.Parameters().Where(p => p.Rank == 2).Sum(p => p.NumElements); break;
            }
        }
        // A tied head has no Linear of its own: count the logits product against the embedding.
        var embedding = model.NamedModules().Select(m => m.Module).OfType<Embedding>().FirstOrDefault();
        if (embedding is not null && !model.NamedModules().Select(m => m.Module).OfType<Linear>().Any(l => l.Options.OutFeatures == embedding.Options.Count))
            flops += 2 * embedding.Options.Count * embedding.Options.Dim;
        return flops;
    }
}
