using Liquid.Runtime.Models;

namespace Liquid.Models.Tests;

/// <summary>The model catalog, the parameter counts the generator computes, and config validation.</summary>
public sealed class CatalogTests
{
    private static readonly Dictionary<string, string> NoOverrides = new();

    [Fact]
    public void CatalogListsEveryModelByName()
    {
        // The catalog is generated from models/*.model.yaml: it must hold exactly one entry per file
        // there, in name order, whatever models are added later.
        var files = Directory.GetFiles(Path.Combine(Liquid.Tests.RepositoryRoot.Path, "models"), "*.model.yaml")
            .Select(f => Path.GetFileName(f)[..^".model.yaml".Length])
            .Order(StringComparer.Ordinal)
            .ToArray();
        Assert.Contains("tiny-llama", files);
        Assert.Equal(files, ModelCatalog.All.Select(m => m.Name));
        Assert.Equal("Gpt2Spanish", ModelCatalog.Find("gpt2-spanish")!.TypeName);
        Assert.Same(TinyLlama.ModelInfo, ModelCatalog.Find("tiny-llama"));
        Assert.Same(TinyGpt.ModelInfo, ModelCatalog.Find("TinyGpt"));
        Assert.Null(ModelCatalog.Find("gpt3"));
    }

    [Fact]
    public void WeightDecayDefaultsToTheOptimizersOwn()
    {
        // torch.optim.Adam and SGD default to weight_decay=0, AdamW to 0.01. A recipe that names
        // no decay gets exactly that; a recipe that names one keeps it.
        Assert.Equal(0.0, new TrainingRecipe { Optimizer = OptimizerKind.Adam }.EffectiveWeightDecay);
        Assert.Equal(0.0, new TrainingRecipe { Optimizer = OptimizerKind.Sgd }.EffectiveWeightDecay);
        Assert.Equal(0.01, new TrainingRecipe { Optimizer = OptimizerKind.AdamW }.EffectiveWeightDecay);
        using var ltc = new LtcFmnist();
        Assert.Equal(0.0, ltc.Recipe.EffectiveWeightDecay);   // adam, no decay named
        using var gpt = new TinyGpt();
        Assert.Equal(0.1, gpt.Recipe.EffectiveWeightDecay);   // adamw, 0.1 named
    }

    [Fact]
    public void Gpt2SmallHasItsKnownParameterCount()
    {
        // GPT-2 small: 124,439,808 learnable scalars with the head tied to wte (the count of
        // Hugging Face's GPT2Model / nanoGPT with tied weights).
        Assert.Equal(124_439_808, Gpt2.ModelInfo.DefaultParameterCount);
        using var model = new Gpt2();
        Assert.Equal(124_439_808, model.ParameterCount);
        Assert.Equal(148, model.NamedParameters().Count()); // 2 embeddings + 12 × 12 block tensors + ln_f's 2
    }

    [Theory]
    [InlineData("gpt2-spanish")]
    [InlineData("tiny-gpt")]
    [InlineData("tiny-llama")]
    [InlineData("liquid-long")]
    [InlineData("liquid-long-tiny")]
    public void CatalogCountEqualsTheBuiltModel(string name)
    {
        var info = ModelCatalog.Find(name)!;
        using var model = info.Create(NoOverrides);
        Assert.Equal(info.TypeName, model.GetType().Name);
        Assert.Equal(info.DefaultParameterCount, model.ParameterCount);
    }

    [Fact]
    public void OverridesChangeTheBuiltModel()
    {
        using var model = (TinyLlama)TinyLlama.ModelInfo.Create(new Dictionary<string, string> { ["layers"] = "2", ["kv_heads"] = "4" });
        Assert.Equal(2, model.Config.Layers);
        Assert.Equal(4, model.Config.KvHeads);
        Assert.True(model.ParameterCount < TinyLlama.ModelInfo.DefaultParameterCount);
    }

    [Fact]
    public void HeadsThatDoNotDivideTheWidthAreRejected()
    {
        var error = Assert.Throws<ConfigException>(() => Gpt2Config.FromOverrides(new Dictionary<string, string> { ["heads"] = "5" }));
        Assert.Contains("heads (5) must divide d_model (768)", error.Message);
    }

    [Fact]
    public void UnknownNameSuggestsTheClosestOne()
    {
        var error = Assert.Throws<ConfigException>(() => Gpt2Config.FromOverrides(new Dictionary<string, string> { ["d_modle"] = "512" }));
        Assert.Contains("'d_modle'", error.Message);
        Assert.Contains("did you mean 'd_model'?", error.Message);
    }

    [Fact]
    public void NonIntegerValueIsRejected()
    {
        var error = Assert.Throws<ConfigException>(() => Gpt2Config.FromOverrides(new Dictionary<string, string> { ["layers"] = "abc" }));
        Assert.Equal("layers must be an integer, not 'abc'", error.Message);
        Assert.Throws<ConfigException>(() => TinyGpt.ModelInfo.Create(new Dictionary<string, string> { ["dropout"] = "lots" }));
    }

    [Fact]
    public void ValidateListsEveryProblem()
    {
        var config = new Gpt2Config { VocabSize = 0, Heads = 5, Layers = 0, Dropout = 1.5 };
        var error = Assert.Throws<ConfigException>(config.Validate);
        Assert.StartsWith("Gpt2 config: ", error.Message);
        // Plain messages: the config name once, then what is wrong (issue 10: not "vocab (vocab_size)").
        Assert.Contains("vocab_size must be at least 1, not 0", error.Message);
        Assert.Contains("dropout must be in [0, 1), not 1.5", error.Message);
        Assert.Contains("the repeat count layers must be at least 1, not 0", error.Message);
        Assert.Contains("heads (5) must divide d_model (768)", error.Message);

        var llama = Assert.Throws<ConfigException>(() => TinyLlama.ModelInfo.Create(new Dictionary<string, string> { ["heads"] = "6", ["kv_heads"] = "4", ["hidden"] = "0" }));
        Assert.Contains("heads (6) must divide d_model (128)", llama.Message);
        Assert.Contains("kv_heads (4) must divide heads (6)", llama.Message);
        Assert.Contains("hidden must be at least 1, not 0", llama.Message);
    }

    [Fact]
    public void DefaultsAreValid()
    {
        new Gpt2Config().Validate();
        new Gpt2SpanishConfig().Validate();
        new TinyGptConfig().Validate();
        new TinyLlamaConfig().Validate();
    }
}
