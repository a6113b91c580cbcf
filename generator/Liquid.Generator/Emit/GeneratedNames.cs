using System;
using System.Collections.Generic;

namespace Liquid.Generator.Emit;

/// <summary>
/// Type names that generated code uses without qualification. A generated type of the same name in
/// the models' namespace would hide one of them and break every model of the project, so the binder
/// refuses model and block names from this list. The generator tests check that every public type
/// of the runtime's namespaces is here.
/// </summary>
internal static class GeneratedNames
{
    private static readonly HashSet<string> s_types = new(StringComparer.Ordinal)
    {
        // .NET types the emitted code names.
        "Math", "Enumerable", "List", "Dictionary", "IReadOnlyList", "IReadOnlyDictionary", "IEnumerable", "String", "Object",
        "Exception", "InvalidOperationException", "ArgumentException", "Func", "Action", "Type", "Array", "Span", "ReadOnlySpan",
        "Int32", "Int64", "Double", "Boolean", "Console", "GC", "IDisposable", "StringComparer", "Nullable", "Task", "File", "Path",
        "Directory", "Stream", "Thread", "CancellationToken", "Linq", "System", "Collections", "Generic",
        // Liquid.Runtime, Liquid.Runtime.Models, Liquid.Runtime.Nn (kept complete by a test).
        "Activation", "ActivationKind", "Adam", "AdamOptions", "AdamW", "Attention", "AttentionOptions", "Conv1d", "Conv1dOptions",
        "CompiledModel", "ConfigException", "ConfigValue", "Cycle", "CosineWarmRestartsSchedule", "DType", "DTypes", "Device", "DeviceType",
        "Dropout", "Embedding", "EmbeddingOptions", "Floor", "ForwardContext", "Functional", "Gelu", "Gru", "HiddenStateRecurrent",
        "ILearningRateSchedule", "Init", "KvCache", "LayerNorm", "LayerNormOptions", "LayerShape", "LearnedPositionEmbedding",
        "LinearWarmupSchedule", "Linear", "LinearOptions", "LmHead", "LmHeadOptions", "Losses", "Lstm", "LstmState", "Mlp",
        "MlpActivation", "MlpOptions", "ModelInfo", "ModelOutput", "ModelState", "Module", "ModuleList", "ObjectiveTermInfo",
        "ObjectiveValue", "Optimizer", "OptimizerKind", "ParameterGroup", "ParameterGroups", "PositionEmbeddingOptions",
        "RecurrentBase", "RecurrentOptions", "RecurrentOutput", "LstmOutput", "ReduceOnPlateauSchedule", "Reduction", "Relu", "RmsNorm",
        "RmsNormOptions", "Rnn", "RopeOptions", "RotaryEmbedding", "Scalar", "ScheduleKind", "Sgd", "SgdOptions", "ShapeException",
        "Silu", "StateDictException", "StateDictReport", "Tanh", "Tensor", "TensorInfo", "TensorScope", "TensorScopeExtensions",
        "Torch", "TorchException", "TrainingRecipe", "WarmupCosineSchedule", "AttentionOutput", "ConstantSchedule", "StepSchedule",
        "CosineSchedule", "InferenceModeScope", "NoGradScope", "ITensorState",
    };

    /// <summary>Whether a generated type called <paramref name="name"/> would hide a type the generated code uses.</summary>
    public static bool IsReserved(string name) => s_types.Contains(name);

    /// <summary>Every reserved name (for the test that keeps the list complete).</summary>
    public static IReadOnlyCollection<string> All => s_types;
}
