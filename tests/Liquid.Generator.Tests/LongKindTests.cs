using System.Globalization;
using Liquid.Generator.Tests.Support;
using Microsoft.CodeAnalysis;

namespace Liquid.Generator.Tests;

/// <summary>
/// The liquid long-sequence kinds (affine_coupling, flow, ode_embedding, liquid_neuron,
/// adaptive_liquid_neuron, liquid_time_cell, async_liquid_cell): what the generator emits for them —
/// the flow's loss, an absent optional timestamps input, the solvers' namespace — that it compiles
/// against the runtime, and located errors for what they cannot take. Parameter counts are checked
/// against the built runtime modules in tests/Liquid.Models.Tests (CatalogTests on liquid-long*).
/// </summary>
public class LongKindTests
{
    // A language model around the layers under test ({0}), which end at [B, T, hidden].
    private const string Around = """
        model: Net
        config:
          vocab: 50
          d: 12
          hidden: 8
        inputs:
          tokens: long[B, T]
          times: { type: "float[B, T]", optional: true }
        layers:
          - token_embedding: { vocab: vocab, dim: d }
        {0}
          - lm_head: { vocab: vocab }
        """;

    private static string With(string layers) => Around.Replace("{0}", layers, StringComparison.Ordinal) + "\n";

    [Fact]
    public void TheWholeStackCompilesWithTheFlowsLossAndOptionalTimestamps()
    {
        var source = Compiled(With("""
              - flow: { hidden: 6, latent: 4, as: { nll: flow_nll, log_det: log_det } }
              - ode_embedding: { hidden: hidden, solver: rk4, step_size: 0.5 }
              - liquid_neuron: { units: hidden, dt: 0.5 }
              - adaptive_liquid_neuron: { units: hidden, adaptive_hidden: 5 }
              - liquid_time_cell: { units: hidden, adaptive: true, solver: euler, adjoint: true }
              - async_liquid_cell: { in: [x, times], units: hidden, chunk: 16 }
            """));
        Assert.Contains("using Liquid.Runtime.Nn.OdeSolvers;", source);
        Assert.Contains("(x, var logDet, var flowNll, _) = _flow.Forward(x); // float[B, T, 4], float[B, T]", source);
        Assert.Contains("context.AddLoss(\"flow_nll\", flowNll);", source);
        Assert.Contains("new OdeEmbedding(new OdeEmbeddingOptions(4, config.Hidden, Solver: OdeMethod.Rk4, StepSize: 0.5))", source);
        Assert.Contains("new LiquidTimeCell(new LiquidTimeCellOptions(new LiquidNeuronOptions(config.Hidden, config.Hidden, Adaptive: true), Solver: OdeMethod.Euler, Adjoint: true))", source);
        Assert.Contains("x = _asyncLiquidCell.Forward(x, times, context).Output; // float[B, T, hidden]", source);
    }

    [Fact]
    public void WithoutTimestampsTheAsyncCellGetsNull()
    {
        var source = Compiled(With("  - linear: { out: hidden }\n  - async_liquid_cell: { units: 6, chunk: 4 }"));
        Assert.Contains("x = _asyncLiquidCell.Forward(x, timestamps: null, context).Output; // float[B, T, hidden]", source);
    }

    public static TheoryData<string, string, string, string> Errors => new()
    {
        // layer(s), diagnostic, where (the text the error starts at), part of the message
        { "  - flow: { hidden: 4, latent: 13 }", "LQ0013", "13 }", "latent (13) cannot exceed the 12 features" },
        { "  - linear: { out: 7 }\n  - flow: { hidden: 4, shared: true }", "LQ0013", "true }", "shared networks need an even number of features" },
        { "  - flow: { hidden: 0 }", "LQ0013", "0 }", "hidden must be at least 1" },
        { "  - affine_coupling: { hidden: 4, parity: 2 }", "LQ0013", "2 }", "parity must be 0 or 1" },
        { "  - linear: { out: 1 }\n  - affine_coupling: { hidden: 4 }", "LQ0013", "affine_coupling", "needs at least 2 features to split" },
        { "  - ode_embedding: { hidden: hidden, rtol: 0 }", "LQ0013", "0 }", "rtol must be positive" },
        { "  - ode_embedding: { hidden: hidden, solver: rk5 }", "LQ0004", "rk5", "rk5" },
        { "  - liquid_neuron: { units: hidden, dt: -1 }", "LQ0013", "-1 }", "dt must be positive" },
        { "  - adaptive_liquid_neuron: { units: hidden, dropout: 1.5 }", "LQ0013", "1.5 }", "dropout must be a probability" },
        { "  - liquid_time_cell: { units: hidden, step_size: 0 }", "LQ0013", "0 }", "step_size must be positive" },
        { "  - async_liquid_cell: { units: hidden, chunk: 0 }", "LQ0013", "0 }", "chunk must be at least 1" },
        { "  - async_liquid_cell: { in: [x, tokens], units: hidden }", "LQ0008", "async_liquid_cell", "takes one timestamp per position" },
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
        var offset = yaml.IndexOf(layers, StringComparison.Ordinal) + layers.IndexOf(where, StringComparison.Ordinal);
        var line = yaml[..offset].Count(c => c == '\n');
        var column = offset - (yaml.LastIndexOf('\n', offset - 1) + 1);
        var start = errors[0].Location.GetLineSpan().StartLinePosition;
        Assert.Equal((line, column), (start.Line, start.Character));
    }

    /// <summary>The generated model, after asserting no errors (an unread optional input only warns) and that it compiles against the runtime.</summary>
    private static string Compiled(string yaml)
    {
        var result = GeneratorHarness.RunYaml(yaml);
        Assert.Null(result.Exception);
        Assert.True(!result.Diagnostics.Any(d => d.Severity == DiagnosticSeverity.Error), GeneratorHarness.Describe(result.Diagnostics));
        var problems = RuntimeCompilation.Problems(result);
        Assert.True(problems.Count == 0, string.Join(Environment.NewLine, problems));
        return GeneratorHarness.Source(result, "Net.g.cs");
    }
}
