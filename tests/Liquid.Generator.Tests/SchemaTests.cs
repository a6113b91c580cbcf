using System.Text.Json;
using Liquid.Generator.Binding;

namespace Liquid.Generator.Tests;

/// <summary>
/// The JSON Schema that editors use is written from the generator's own table of layer kinds; these
/// tests keep the committed file equal to that output and check it says what the table says.
/// </summary>
public class SchemaTests
{
    private static string SchemaPath => Path.Combine(Liquid.Tests.RepositoryRoot.Path, "generator", "schema", "liquid-model.schema.json");

    [Fact]
    public void CommittedSchemaIsWhatTheLayerTableProduces()
    {
        var expected = SchemaWriter.Write();
        if (Environment.GetEnvironmentVariable("UPDATE_SNAPSHOTS") == "1") File.WriteAllText(SchemaPath, expected);
        Assert.True(File.Exists(SchemaPath), $"{SchemaPath} is missing; run the tests with UPDATE_SNAPSHOTS=1 to write it");
        Assert.True(expected == File.ReadAllText(SchemaPath),
            "generator/schema/liquid-model.schema.json differs from the layer table; run the tests with UPDATE_SNAPSHOTS=1 and review the diff");
    }

    [Fact]
    public void EveryLayerKindAndArgumentIsInTheSchema()
    {
        using var schema = JsonDocument.Parse(File.ReadAllText(SchemaPath));
        var definitions = schema.RootElement.GetProperty("definitions");
        foreach (var kind in LayerKinds.All)
        {
            var body = definitions.GetProperty("layer." + kind.Name).GetProperty("properties").GetProperty(kind.Name).GetProperty("anyOf");
            var argsObject = body.EnumerateArray().Last();
            var names = argsObject.GetProperty("properties").EnumerateObject().Select(p => p.Name).ToList();
            // The kind's own arguments, then the keys every layer takes (name, in, as).
            Assert.Equal(kind.Args.Concat(LayerKinds.Common).Select(a => a.Name), names);
            var required = argsObject.TryGetProperty("required", out var r) ? r.EnumerateArray().Select(e => e.GetString()!).ToList() : [];
            Assert.Equal(kind.Args.Where(a => a.Required).Select(a => a.Name), required);
            foreach (var arg in kind.Args.Where(a => a.Kind == ArgKind.Enum))
                Assert.Equal(arg.Values!, argsObject.GetProperty("properties").GetProperty(arg.Name).GetProperty("enum").EnumerateArray().Select(e => e.GetString()!));
        }
        var bareKinds = definitions.GetProperty("layer").GetProperty("anyOf")[0].GetProperty("enum").EnumerateArray().Select(e => e.GetString()).ToList();
        Assert.Equal(LayerKinds.All.Select(k => k.Name), bareKinds);
    }

    [Fact]
    public void CommittedKindsReferenceIsWhatTheRegistryProduces()
    {
        // generator/KINDS.md documents every kind; it is written from the registry, never by hand.
        var path = Path.Combine(Liquid.Tests.RepositoryRoot.Path, "generator", "KINDS.md");
        var expected = KindsReference.Write();
        if (Environment.GetEnvironmentVariable("UPDATE_SNAPSHOTS") == "1") File.WriteAllText(path, expected);
        Assert.True(File.Exists(path), $"{path} is missing; run the tests with UPDATE_SNAPSHOTS=1 to write it");
        Assert.True(expected == File.ReadAllText(path), "generator/KINDS.md differs from the layer registry; run the tests with UPDATE_SNAPSHOTS=1 and review the diff");
        foreach (var kind in LayerKinds.All) Assert.Contains($"\n## {kind.Name}\n", expected);
    }

    [Fact]
    public void EveryModelFilePointsAtTheSchema()
    {
        var models = Directory.GetFiles(Path.Combine(Liquid.Tests.RepositoryRoot.Path, "models"), "*.model.yaml");
        Assert.NotEmpty(models);
        foreach (var model in models)
            Assert.StartsWith("# yaml-language-server: $schema=../generator/schema/liquid-model.schema.json", File.ReadAllText(model));
    }
}
