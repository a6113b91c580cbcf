using System.Reflection;
using Liquid.Generator.Binding;
using Liquid.Runtime.Nn;
using Module = Liquid.Runtime.Nn.Module;

namespace Liquid.Generator.Tests;

/// <summary>
/// Each layer kind of the generator's registry against the runtime class it names: the class exists,
/// its Forward takes the kind's input ports in order (optional ones under the port's name) (and the ForwardContext when the kind passes it),
/// and returns a tensor for one output or a record whose members are the output ports in order. The
/// generator knows the runtime only by these names, so this is where the two are kept together.
/// </summary>
public class KindContractTests
{
    private static readonly Assembly Runtime = typeof(Module).Assembly;

    public static TheoryData<string> Kinds => new(LayerKinds.All.Where(k => k.RuntimeClass.Length > 0).Select(k => k.Name));

    [Theory]
    [MemberData(nameof(Kinds))]
    public void TheRuntimeClassTakesAndReturnsWhatTheKindDeclares(string name)
    {
        var kind = LayerKinds.Find(name)!;
        var type = Runtime.GetType("Liquid.Runtime.Nn." + kind.RuntimeClass);
        Assert.True(type is not null, $"{name}: no runtime class Liquid.Runtime.Nn.{kind.RuntimeClass}");
        Assert.True(typeof(Module).IsAssignableFrom(type), $"{kind.RuntimeClass} is not a Module");

        // Every method the kind may call: Forward, or the variant for optional outputs.
        var methods = new[] { kind.Method([]), kind.Method(kind.Outputs.Select(o => o.Name).ToList()) }.Distinct();
        foreach (var methodName in methods)
        {
            var expected = kind.Inputs.Select(p => p.Kind == PortKind.State ? null : typeof(Liquid.Runtime.Tensor)).ToList();
            var candidates = type!.GetMethods(BindingFlags.Public | BindingFlags.Instance).Where(m => m.Name == methodName).ToList();
            var method = candidates.FirstOrDefault(m =>
            {
                var parameters = m.GetParameters();
                var count = kind.Inputs.Count + (kind.TakesContext ? 1 : 0);
                if (parameters.Length != count) return false;
                for (var i = 0; i < kind.Inputs.Count; i++)
                {
                    // An absent optional input is passed by name (elapsed: null), so its name must match.
                    if (kind.Inputs[i].Optional && parameters[i].Name != Names.Camel(kind.Inputs[i].Name)) return false;
                    if (expected[i] is { } tensor && parameters[i].ParameterType != tensor) return false;
                }
                return !kind.TakesContext || parameters[^1].ParameterType == typeof(ForwardContext);
            });
            Assert.True(method is not null, $"{kind.RuntimeClass}.{methodName}({string.Join(", ", kind.Inputs.Select(p => Names.Camel(p.Name)))}{(kind.TakesContext ? ", ForwardContext context" : "")}) does not exist; it has: {string.Join("; ", candidates.Select(Describe))}");

            var outputs = methodName == kind.Method([]) && methodName != kind.Method(kind.Outputs.Select(o => o.Name).ToList())
                ? kind.Outputs.Where(o => !o.Optional).ToList()
                : kind.Outputs.ToList();
            if (outputs.Count == 1 && kind.Outputs.Count == 1)
            {
                Assert.Equal(typeof(Liquid.Runtime.Tensor), method!.ReturnType);
                continue;
            }
            var members = method!.ReturnType.GetMethod("Deconstruct")?.GetParameters().Select(p => p.Name).ToList();
            if (methodName == kind.Method([]) && outputs.Count == 1 && method.ReturnType == typeof(Liquid.Runtime.Tensor)) continue;
            Assert.True(members is not null, $"{kind.RuntimeClass}.{methodName} returns {method.ReturnType.Name}, which has no Deconstruct for the outputs {string.Join(", ", outputs.Select(o => o.MemberName))}");
            Assert.Equal(kind.Outputs.Select(o => o.MemberName), members!.Select(m => char.ToUpperInvariant(m![0]) + m[1..]));
        }
    }

    [Fact]
    public void TheGeneratorFindsEveryPublicRuntimeTypeInTheCompilation()
    {
        // A model or block class named like one of them would hide it in the models' namespace.
        var imported = Emit.GeneratedNames.RuntimeNamespaces;
        var expected = Runtime.GetExportedTypes().Where(t => imported.Contains(t.Namespace) && !t.IsNested)
            .Select(t => t.Name.Split('`')[0]).Distinct().Order(StringComparer.Ordinal).ToList();
        var found = Emit.GeneratedNames.RuntimeTypes(Support.GeneratorHarness.Compilation()).ToList();
        Assert.Contains("Tensor", found);
        Assert.Contains("LmHead", found);
        Assert.Equal(expected, found);
    }

    private static string Describe(MethodInfo method) =>
        $"{method.ReturnType.Name} {method.Name}({string.Join(", ", method.GetParameters().Select(p => $"{p.ParameterType.Name} {p.Name}"))})";
}
