using System.Globalization;
using Liquid.Generator.Tests.Support;
using Microsoft.CodeAnalysis;

namespace Liquid.Generator.Tests;

/// <summary>
/// The Liquid Foundation layer kinds (liquid_embedding, diff_attention, moe, deformable_conv1d,
/// gated_conv, lstm_memory, ff_ln): what the generator emits for the language forms they need — an
/// LSTM state carried from block to block, auxiliary losses from inside a residual of every block, an
/// absent optional state — that the result compiles against the runtime, and the located errors for
/// arguments and inputs they cannot take. Their parameter counts are checked against the runtime's
/// modules in tests/Liquid.Models.Tests (FoundationModelTests), where the generated code runs.
/// </summary>
public class FoundationKindTests
{
    // A language model around one layer under test ({0}), which must keep [B, T, d_model].
    private const string Around = """
        model: Net
        config:
          vocab: 50
          d_model: 32
          heads: 4
        layers:
          - liquid_embedding: { vocab: vocab, dim: d_model, max_positions: 16 }
        {0}
          - lm_head: { vocab: vocab }
        """;

    private static string With(string layers) => Around.Replace("{0}", layers, StringComparison.Ordinal) + "\n";

    // The model with the embedding alone before the head, and more arguments for the embedding.
    private static string EmbeddingWith(string arguments) =>
        Around.Replace("max_positions: 16 }", "max_positions: 16" + arguments + " }", StringComparison.Ordinal).Replace("{0}\n", "", StringComparison.Ordinal) + "\n";

    [Fact]
    public void TheLstmMemoryIsCarriedFromBlockToBlock()
    {
        var yaml = With("""
              - repeat: 3
                carry: [memory]
                block:
                  - residual:
                      - layer_norm
                      - diff_attention: { heads: heads, kv_groups: 2, window: 8 }
                  - lstm_memory: { in: [x, memory], hidden: 12, as: { state: memory } }
            """);
        var source = Compiled(yaml);
        Assert.Contains("public (Tensor X, LstmState? Memory) Forward(Tensor x, LstmState? memory, ForwardContext context)", source);
        Assert.Contains("(x, memory) = _lstmMemory.Forward(x, memory, context); // float[B, T, d_model], state LstmState", source);
        Assert.Contains("return (scope.Keep(x), scope.KeepState(memory));", source);
        Assert.Contains("LstmState? memory = null;", source);
        Assert.Contains("foreach (var block in _h) (x, memory) = block.Forward(x, memory, context);", source);
    }

    [Fact]
    public void AnAbsentStateIsPassedAsNull()
    {
        var source = Compiled(With("  - lstm_memory: { hidden: 12, layers: 1 }"));
        Assert.Contains("x = _lstmMemory.Forward(x, state: null, context).Output; // float[B, T, d_model]", source);
        Assert.Contains("new LstmMemory(new LstmMemoryOptions(config.DModel, Hidden: 12, Layers: 1))", source);
    }

    [Fact]
    public void MixtureLossesFromAResidualInEveryBlockReachTheObjective()
    {
        var yaml = With("""
              - repeat: 2
                block:
                  - residual:
                      - layer_norm
                      - moe: { hidden: 48, experts: 4, top_k: 2, as: { aux: moe_aux, z_loss: router_z } }
                      - dropout: 0.1
            """) + """
            objective:
              cross_entropy: {}
              aux: { moe_aux: 1.0, router_z: 0.001 }
            """;
        var source = Compiled(yaml);
        Assert.Contains("(h, var moeAux, _, _, _, var routerZ) = _moe.Forward(h, context); // float[B, T, d_model]", source);
        Assert.Contains("context.AddLoss(\"moe_aux\", moeAux);", source);
        Assert.Contains("context.AddLoss(\"router_z\", routerZ);", source);
        Assert.Contains("MoeAux = Losses[\"moe_aux\"];", source);
        Assert.Contains("(\"moe_aux\", output.MoeAux, 1.0), (\"router_z\", output.RouterZ, 0.001)", source);
    }

    [Fact]
    public void TheEmbeddingsReconstructionLossAndVocabularyAreTheModels()
    {
        var yaml = EmbeddingWith(", causal: true, target: embedding, as: { reconstruction: recon }") + """
            objective:
              cross_entropy: { label_smoothing: 0.1 }
              focal: { alpha: 1.0, gamma: 2.0 }
              aux: { recon: 0.5 }
            """;
        var source = Compiled(yaml);
        Assert.Contains("var (x, recon) = _liquidEmbedding.Forward(tokens, context); // float[B, T, d_model]", source);
        Assert.Contains("new LiquidEmbeddingOptions(config.Vocab, config.DModel, 16, Causal: true, Target: ReconstructionTarget.Embedding)", source);
        Assert.Contains("VocabularyConfig = \"vocab\",", source);
        Assert.Contains("    Incremental = false,", source); // the FFT mixes the whole sequence: no incremental decoding
        Assert.Contains("Losses.Focal(output.Logits.Flatten(0, -2), nextTokens.Flatten(), alpha: 1.0, gamma: 2.0)", source);
        Assert.Contains("(\"recon\", output.Recon, 0.5)", source);
    }

    [Fact]
    public void AStridedDeformableConvolutionHasANewLength()
    {
        var yaml = """
            model: Net
            config: { d_model: 8 }
            inputs: { readings: "float[B, T, d_model]" }
            layers:
              - deformable_conv1d: { out: 2 * d_model, kernel: 3, stride: 2 }
            objective:
              nll: {}
            """;
        var source = Compiled(yaml);
        Assert.Contains("var x = _deformableConv1d.Forward(readings); // float[B, T', 2 * d_model]", source);
        Assert.Contains("new DeformableConv1dOptions(config.DModel, 2 * config.DModel, 3, Stride: 2)", source);
        Assert.DoesNotContain("Incremental", source); // no layer mixes the whole sequence
    }

    [Fact]
    public void OverriddenConfigsAreCheckedByValidate()
    {
        var yaml = With("""
              - residual:
                  - diff_attention: { heads: heads }
              - moe: { hidden: 48, experts: experts, top_k: top_k }
            """).Replace("  heads: 4\n", "  heads: 4\n  experts: 4\n  top_k: 2\n", StringComparison.Ordinal);
        var source = Compiled(yaml);
        Assert.Contains("if (Experts < TopK) errors.Add($\"top_k ({TopK}) must not exceed experts ({Experts})\");", source);
        Assert.Contains("if (Heads != 0 && DModel / Heads % 4 != 0) errors.Add($\"the head width d_model / heads ({DModel / Heads}) must be a multiple of 4 (two rotated halves)\");", source);
    }

    public static TheoryData<string, string, string, string> Errors => new()
    {
        // layer(s), diagnostic, where (the text the error starts at), part of the message
        { "  - moe: { hidden: 48, experts: 4, top_k: 6 }", "LQ0013", "6 }", "top_k (6) must not exceed experts (4)" },
        { "  - moe: { hidden: 48, overuse_threshold: 1.5 }", "LQ0013", "1.5", "overuse_threshold must be a share in [0, 1]" },
        { "  - diff_attention: { heads: 16 }", "LQ0007", "16", "must be a multiple of 4" },
        { "  - diff_attention: { heads: 32, rope_theta: null }", "LQ0007", "32", "must be even" },
        { "  - diff_attention: { heads: 3 }", "LQ0007", "3 }", "heads (3) must divide the model width" },
        { "  - diff_attention: { heads: 4, kv_groups: 3 }", "LQ0007", "3 }", "kv_groups (3) must divide heads" },
        { "  - diff_attention: { heads: 4, window: 8, causal: false }", "LQ0013", "8,", "a sliding window needs causal attention" },
        { "  - diff_attention: { heads: 4, lambda_min: 0.95 }", "LQ0013", "0.95", "lambda_min (0.95) exceeds lambda_max (0.9)" },
        { "  - gated_conv: { kernel: 4, dilation: 1 }", "LQ0013", "4,", "symmetric padding cannot keep the length" },
        { "  - gated_conv: { dropout: 1.0 }", "LQ0013", "1.0", "dropout must be a probability" },
        { "  - deformable_conv1d: { out: d_model, kernel: 3, padding: 1, causal: true }", "LQ0013", "1, causal", "pads on the left by itself" },
        { "  - lstm_memory: { hidden: 0 }", "LQ0013", "0 }", "hidden must be at least 1" },
        { "  - linear: { out: d_model, as: features }\n  - lstm_memory: { in: [x, features] }", "LQ0008", "lstm_memory", "takes an LSTM state (state LstmState) as 'state' but receives float[B, T, d_model]" },
        { "  - liquid_embedding: { vocab: vocab, dim: d_model, max_positions: 16, name: again }", "LQ0008", "liquid_embedding: { vocab: vocab, dim: d_model, max_positions: 16, name", "'liquid_embedding' takes token ids long[B, T] but receives float[B, T, d_model = 32]" },
        { "  - ff_ln: { hidden: 0 }", "LQ0013", "0 }", "hidden must be at least 1" },
    };

    [Theory]
    [MemberData(nameof(Errors))]
    public void BadArgumentsAndInputsAreLocatedErrors(string layers, string id, string where, string fragment)
    {
        var yaml = With(layers);
        var result = GeneratorHarness.RunYaml(yaml);
        Assert.Null(result.Exception);
        var errors = result.Diagnostics.Where(d => d.Severity == DiagnosticSeverity.Error).ToList();
        Assert.True(errors.Count == 1, $"expected one {id}, got:{Environment.NewLine}{GeneratorHarness.Describe(result.Diagnostics)}");
        Assert.Equal(id, errors[0].Id);
        Assert.Contains(fragment, errors[0].GetMessage(CultureInfo.InvariantCulture));
        // The error starts where 'where' first appears in the layer lines.
        var offset = yaml.IndexOf(layers, StringComparison.Ordinal) + layers.IndexOf(where, StringComparison.Ordinal);
        var line = yaml[..offset].Count(c => c == '\n');
        var column = offset - (yaml.LastIndexOf('\n', offset - 1) + 1);
        var start = errors[0].Location.GetLineSpan().StartLinePosition;
        Assert.Equal((line, column), (start.Line, start.Character));
    }

    [Fact]
    public void TheEmbeddingAndAttentionRejectOptionsThatCannotWork()
    {
        // A kernel that cannot keep the length, and a ratio range that is empty.
        Assert.Contains("even kernel (4)", OnlyError(EmbeddingWith(", kernel: 4"), "LQ0013"));
        Assert.Contains("0 < min_ratio (0.6) ≤ max_ratio (0.5) ≤ 1", OnlyError(EmbeddingWith(", min_ratio: 0.6, max_ratio: 0.5"), "LQ0013"));
        // Causal convolutions take an even kernel.
        Compiled(EmbeddingWith(", kernel: 4, causal: true"));
    }

    private static string OnlyError(string yaml, string id)
    {
        var result = GeneratorHarness.RunYaml(yaml);
        var errors = result.Diagnostics.Where(d => d.Severity == DiagnosticSeverity.Error).ToList();
        Assert.True(errors.Count == 1 && errors[0].Id == id, $"expected one {id}, got:{Environment.NewLine}{GeneratorHarness.Describe(result.Diagnostics)}");
        return errors[0].GetMessage(CultureInfo.InvariantCulture);
    }

    /// <summary>The generated model, after asserting no diagnostics and that it compiles against the runtime.</summary>
    private static string Compiled(string yaml)
    {
        var result = GeneratorHarness.RunYaml(yaml);
        Assert.Null(result.Exception);
        Assert.True(result.Diagnostics.IsEmpty, GeneratorHarness.Describe(result.Diagnostics));
        var problems = RuntimeCompilation.Problems(result);
        Assert.True(problems.Count == 0, string.Join(Environment.NewLine, problems));
        return GeneratorHarness.Source(result, "Net.g.cs");
    }
}
