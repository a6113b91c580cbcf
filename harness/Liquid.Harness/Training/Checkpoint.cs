using System.Text.Json;
using System.Text.Json.Serialization;
using Liquid.Harness.Text;
using Liquid.Runtime;
using Liquid.Runtime.Models;
using Liquid.Runtime.Nn;
using Liquid.Runtime.Serialization;

namespace Liquid.Harness.Training;

/// <summary>
/// Everything needed to continue or use a training run, as a folder: <c>weights.safetensors</c>,
/// <c>optimizer.safetensors</c>, the tokenizer's files and <c>checkpoint.json</c> (model, config
/// overrides, settings, step, data position, RNG state). Folders are written under a temporary name
/// and renamed into place, so a crash never leaves a half-written checkpoint behind.
/// </summary>
public sealed record CheckpointInfo
{
    /// <summary>Layout version of the folder.</summary>
    public int Format { get; init; } = 1;
    /// <summary>Catalog name of the model.</summary>
    public required string Model { get; init; }
    /// <summary>Config overrides the model was built with (YAML names).</summary>
    public required Dictionary<string, string> Config { get; init; }
    /// <summary>The run's settings, so a resume continues with exactly the same ones.</summary>
    public required TrainSettings Settings { get; init; }
    /// <summary>Optimizer steps completed.</summary>
    public long Step { get; init; }
    /// <summary>Best validation loss so far (null before the first evaluation).</summary>
    public double? BestValidationLoss { get; init; }
    /// <summary>Evaluations without improvement (early stopping).</summary>
    public int EvaluationsWithoutImprovement { get; init; }
    /// <summary>The batcher's generator state: where in the data the run is.</summary>
    public ulong DataState { get; init; }
    /// <summary>libtorch's CPU generator state, base64.</summary>
    public required string TorchRngState { get; init; }
    /// <summary>Multiplier applied to the schedule's learning rate after recoveries from non-finite losses.</summary>
    public double LearningRateScale { get; init; } = 1;
}

/// <summary>Reads and writes checkpoint folders.</summary>
public static class Checkpoint
{
    private static readonly JsonSerializerOptions Json = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.SnakeCaseLower) },
        // A non-finite number (a NaN validation loss, say) is written as "NaN" / "Infinity" rather than
        // failing the save; CheckpointValidation refuses such values where they cannot be right.
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
    };

    /// <summary>Writes a checkpoint folder at <paramref name="directory"/>, replacing any previous one atomically.</summary>
    public static void Save(string directory, CheckpointInfo info, CompiledModel model, Optimizer optimizer, ITokenizer? tokenizer)
    {
        var parent = Path.GetDirectoryName(Path.GetFullPath(directory))!;
        Directory.CreateDirectory(parent);
        var name = Path.GetFileName(Path.GetFullPath(directory));
        // A checkpoint a killed save left half-moved goes back into place before it is replaced.
        CheckpointRecovery.Recover(parent, name, notice: null);
        var temporary = Path.Combine(parent, $".{name}.tmp-{Environment.ProcessId}");
        if (Directory.Exists(temporary)) Directory.Delete(temporary, recursive: true);
        Directory.CreateDirectory(temporary);

        model.SaveWeights(Path.Combine(temporary, "weights.safetensors"), new Dictionary<string, string> { ["model"] = info.Model });
        var state = optimizer.StateDict();
        try
        {
            TensorFile.Save(Path.Combine(temporary, "optimizer.safetensors"), state);
        }
        finally
        {
            foreach (var tensor in state.Values) tensor.Dispose();
        }
        tokenizer?.Save(temporary); // models that read examples have none
        File.WriteAllText(Path.Combine(temporary, "checkpoint.json"), JsonSerializer.Serialize(info, Json));
        CheckpointRecovery.WriteMarker(temporary); // last: its presence says every file above is whole

        // Swap in: the old folder moves aside first, so at every moment one complete checkpoint exists
        // (between the two moves it is the .old folder, which CheckpointRecovery moves back if need be).
        var previous = Path.Combine(parent, $".{name}.old-{Environment.ProcessId}");
        if (Directory.Exists(previous)) Directory.Delete(previous, recursive: true); // left by an earlier process with this PID
        if (Directory.Exists(directory)) Directory.Move(directory, previous);
        Directory.Move(temporary, directory);
        CheckpointRecovery.RemoveLeftovers(parent, name);
    }

    /// <summary>
    /// Reads <c>checkpoint.json</c> of a checkpoint folder (or of <c>DIR/latest</c> when given a run
    /// folder). A missing checkpoint that a killed save left beside its place is recovered first
    /// (see <see cref="CheckpointRecovery"/>; <paramref name="notice"/> hears about it). A missing,
    /// corrupt or invalid file is a <see cref="CheckpointException"/> naming it.
    /// </summary>
    public static (string Directory, CheckpointInfo Info) ReadInfo(string path, Action<string>? notice = null)
    {
        var directory = Path.GetFullPath(path);
        if (!File.Exists(Path.Combine(directory, "checkpoint.json")))
        {
            if (File.Exists(Path.Combine(directory, "latest", "checkpoint.json")))
                directory = Path.Combine(directory, "latest");
            else if (Directory.Exists(directory) && CheckpointRecovery.Recover(directory, "latest", notice) is { } recovered)
                directory = recovered;
            else if (!Directory.Exists(directory) && CheckpointRecovery.Recover(Path.GetDirectoryName(directory)!, Path.GetFileName(directory), notice) is { } named)
                directory = named;
        }
        var file = Path.Combine(directory, "checkpoint.json");
        if (!Directory.Exists(directory)) throw new CheckpointException($"checkpoint '{path}' does not exist");
        if (!File.Exists(file)) throw new CheckpointException($"'{path}' is not a checkpoint: it has no checkpoint.json");
        try
        {
            var info = JsonSerializer.Deserialize<CheckpointInfo>(File.ReadAllText(file), Json)
                ?? throw new CheckpointException($"{file} is empty");
            if (info.Format != 1) throw new CheckpointException($"{file} has layout version {info.Format}; this liquid reads version 1");
            if (CheckpointValidation.Problems(info) is { Count: > 0 } problems)
                throw new CheckpointException($"{file} is invalid: {string.Join("; ", problems)}");
            return (directory, info);
        }
        catch (JsonException e)
        {
            throw new CheckpointException($"{file} is corrupt: {e.Message}");
        }
    }

    /// <summary>Builds the checkpoint's model and loads its weights (strict).</summary>
    public static CompiledModel LoadModel(string directory, CheckpointInfo info)
    {
        var model = Catalog.Create(info.Model, info.Config);
        try
        {
            model.LoadWeights(Path.Combine(directory, "weights.safetensors"));
            return model;
        }
        catch (Exception e) when (e is SafetensorsException or StateDictException or IOException)
        {
            model.Dispose();
            throw new CheckpointException($"cannot load the weights of checkpoint '{directory}': {e.Message}");
        }
    }

    /// <summary>Restores the optimizer state saved with the checkpoint.</summary>
    public static void LoadOptimizer(string directory, Optimizer optimizer)
    {
        var path = Path.Combine(directory, "optimizer.safetensors");
        Dictionary<string, Tensor> state;
        try
        {
            state = TensorFile.Load(path);
        }
        catch (Exception e) when (e is SafetensorsException or IOException)
        {
            throw new CheckpointException($"cannot load the optimizer state of checkpoint '{directory}': {e.Message}");
        }
        try
        {
            optimizer.LoadStateDict(state);
        }
        catch (ArgumentException e)
        {
            throw new CheckpointException($"optimizer state of checkpoint '{directory}' does not fit the model: {e.Message}");
        }
        finally
        {
            foreach (var tensor in state.Values) tensor.Dispose();
        }
    }

    /// <summary>The tokenizer saved with the checkpoint.</summary>
    public static ITokenizer LoadTokenizer(string directory) =>
        TryLoadTokenizer(directory) ?? throw new CheckpointException($"checkpoint '{directory}' has no tokenizer: its model reads named examples, not text");

    /// <summary>The tokenizer saved with the checkpoint, or null when it has none (a model that reads examples).</summary>
    public static ITokenizer? TryLoadTokenizer(string directory)
    {
        if (!File.Exists(Path.Combine(directory, TokenizerFile.FileName))) return null;
        try
        {
            return Tokenizers.Load(directory);
        }
        catch (Exception e) when (e is not CheckpointException)
        {
            throw new CheckpointException($"cannot load the tokenizer of checkpoint '{directory}': {e.Message}");
        }
    }
}

/// <summary>A checkpoint folder is missing, incomplete or corrupt.</summary>
public sealed class CheckpointException(string message) : Exception(message);

/// <summary>Finds compiled models by name.</summary>
public static class Catalog
{
    /// <summary>The model called <paramref name="name"/> built with <paramref name="overrides"/>; unknown names list the known ones.</summary>
    public static CompiledModel Create(string name, IReadOnlyDictionary<string, string> overrides) => Find(name).Create(overrides);

    /// <summary>The catalog entry called <paramref name="name"/>.</summary>
    public static ModelInfo Find(string name) =>
        Liquid.Models.ModelCatalog.Find(name)
        ?? throw new ConfigException($"no model named '{name}'; the models are {string.Join(", ", Liquid.Models.ModelCatalog.All.Select(m => m.Name))}");
}
