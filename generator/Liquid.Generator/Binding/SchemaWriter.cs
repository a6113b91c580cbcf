using System.Collections.Generic;
using System.Linq;
using System.Text;

namespace Liquid.Generator.Binding;

/// <summary>
/// Writes the JSON Schema of the model language (generator/schema/liquid-model.schema.json) from
/// the same <see cref="LayerKinds"/> table the binder uses; a test compares the committed file with
/// this output, so editors' completion and the compiler cannot disagree.
/// </summary>
internal static class SchemaWriter
{
    public static string Write()
    {
        var w = new Json();
        w.Open();
        w.Prop("$schema", "http://json-schema.org/draft-07/schema#");
        w.Prop("$id", "liquid-model.schema.json");
        w.Prop("title", "Liquid.Compiler model file (*.model.yaml)");
        w.Prop("description", "A neural network described for Liquid.Generator. Reference: generator/README.md.");
        w.Prop("type", "object");
        w.Raw("additionalProperties", "false");
        w.Raw("required", "[\"model\", \"layers\"]");
        w.Key("properties");
        w.Open();
        w.Raw("model", "{ \"type\": \"string\", \"pattern\": \"^[A-Z][A-Za-z0-9_]*$\", \"description\": \"C# type name of the model (PascalCase).\" }");
        w.Raw("summary", "{ \"type\": \"string\", \"description\": \"One-line description, shown by the catalog.\" }");
        w.Raw("config", "{ \"type\": \"object\", \"description\": \"Hyper-parameters: name: default, or name: { type, default, doc, min, max, values }.\", \"additionalProperties\": { \"$ref\": \"#/definitions/configValue\" } }");
        w.Raw("derived", "{ \"type\": \"object\", \"description\": \"Values computed from config names.\", \"additionalProperties\": { \"$ref\": \"#/definitions/expression\" } }");
        w.Raw("inputs", "{ \"type\": \"object\", \"description\": \"Named inputs with symbolic shapes, e.g. tokens: long[B, T], or name: { type, optional, doc }.\", \"additionalProperties\": { \"$ref\": \"#/definitions/declaration\" } }");
        w.Raw("targets", "{ \"type\": \"object\", \"description\": \"Tensors the data supplies for the objective only, e.g. label: long[B].\", \"additionalProperties\": { \"$ref\": \"#/definitions/declaration\" } }");
        w.Raw("outputs", "{ \"type\": \"object\", \"description\": \"Named outputs: values the layers bind with 'as:'; the first may be the last layer's output.\", \"additionalProperties\": { \"$ref\": \"#/definitions/declaration\" } }");
        w.Raw("layers", "{ \"$ref\": \"#/definitions/layers\" }");
        var term = "{ \"type\": [\"object\", \"null\"], \"properties\": { \"input\": { \"type\": \"string\" }, \"target\": { \"type\": \"string\" }, \"weight\": { \"$ref\": \"#/definitions/expression\" } } }";
        var terms = new[] { "cross_entropy", "focal", "mse", "l1", "smooth_l1", "bce_with_logits", "nll" };
        var termProperties = string.Join(", ", terms.Select(t => $"{Quote(t)}: {term}")) + ", \"aux\": { \"type\": \"object\", \"additionalProperties\": { \"$ref\": \"#/definitions/expression\" } }";
        w.Raw("objective", $"{{ \"anyOf\": [ {{ \"type\": \"object\", \"additionalProperties\": false, \"properties\": {{ {termProperties} }} }}, {{ \"type\": \"array\", \"items\": {{ \"type\": \"object\", \"additionalProperties\": false, \"properties\": {{ {termProperties} }} }} }} ] }}");
        w.Raw("train", "{ \"$ref\": \"#/definitions/train\" }");
        w.Close();

        w.Key("definitions");
        w.Open();
        w.Raw("expression", "{ \"type\": [\"integer\", \"number\", \"string\"], \"description\": \"A number or an expression over config names: + - * / // % ( ) min max sqrt.\" }");
        w.Raw("value", "{ \"anyOf\": [ { \"$ref\": \"#/definitions/expression\" }, { \"type\": \"null\" }, { \"type\": \"object\", \"additionalProperties\": false, \"required\": [\"cycle\"], \"properties\": { \"cycle\": { \"type\": \"array\", \"minItems\": 1 } }, \"description\": \"Inside a repeat block: the value for block i is cycle[i mod length].\" } ] }");
        w.Raw("configValue", "{ \"anyOf\": [ { \"type\": [\"integer\", \"number\", \"boolean\", \"string\"] }, { \"type\": \"object\", \"additionalProperties\": false, \"required\": [\"default\"], \"properties\": { \"type\": { \"enum\": [\"int\", \"float\", \"bool\", \"string\", \"enum\"] }, \"default\": {}, \"doc\": { \"type\": \"string\" }, \"min\": { \"type\": \"number\" }, \"max\": { \"type\": \"number\" }, \"values\": { \"type\": \"array\", \"items\": { \"type\": \"string\" } } } } ] }");
        w.Raw("tensorType", "{ \"type\": \"string\", \"pattern\": \"^(long|int|float|double|bool)\\\\[.*\\\\]$\" }");
        w.Raw("declaration", "{ \"anyOf\": [ { \"$ref\": \"#/definitions/tensorType\" }, { \"type\": \"object\", \"additionalProperties\": false, \"required\": [\"type\"], \"properties\": { \"type\": { \"$ref\": \"#/definitions/tensorType\" }, \"optional\": { \"type\": \"boolean\" }, \"doc\": { \"type\": \"string\" } } } ] }");
        w.Raw("valueNames", "{ \"anyOf\": [ { \"type\": \"string\" }, { \"type\": \"array\", \"items\": { \"type\": \"string\" } } ], \"description\": \"The values the layer reads, by name (default: the previous layer's output).\" }");
        w.Raw("outputNames", "{ \"anyOf\": [ { \"type\": \"string\" }, { \"type\": \"object\", \"additionalProperties\": { \"type\": \"string\" } } ], \"description\": \"A name for the primary output, or output: name for several.\" }");
        w.Raw("layers", "{ \"type\": \"array\", \"items\": { \"$ref\": \"#/definitions/layer\" } }");

        var kinds = LayerKinds.All;
        var choices = new List<string>
        {
            "{ \"enum\": [" + string.Join(", ", kinds.Select(k => Quote(k.Name))) + "], \"description\": \"A layer with every argument at its default.\" }",
            "{ \"$ref\": \"#/definitions/residual\" }",
            "{ \"$ref\": \"#/definitions/repeat\" }",
        };
        choices.AddRange(kinds.Select(k => $"{{ \"$ref\": \"#/definitions/layer.{k.Name}\" }}"));
        w.Raw("layer", "{ \"anyOf\": [ " + string.Join(", ", choices) + " ] }");
        w.Raw("residual", "{ \"type\": \"object\", \"additionalProperties\": false, \"required\": [\"residual\"], \"properties\": { \"residual\": { \"$ref\": \"#/definitions/layers\" } }, \"description\": \"x + f(x) for the listed layers f.\" }");
        w.Raw("repeat", "{ \"type\": \"object\", \"additionalProperties\": false, \"required\": [\"repeat\", \"block\"], \"properties\": { \"repeat\": { \"$ref\": \"#/definitions/expression\" }, \"name\": { \"type\": \"string\" }, \"class\": { \"type\": \"string\" }, \"carry\": { \"type\": \"array\", \"items\": { \"type\": \"string\" }, \"description\": \"Values each block passes to the next (absent before the first).\" }, \"block\": { \"$ref\": \"#/definitions/layers\" } }, \"description\": \"N copies of a block (a generated class), named name.0 … name.N-1.\" }");

        foreach (var kind in kinds)
        {
            var properties = string.Join(", ", kind.Args.Select(a => $"{Quote(a.Name)}: {ArgSchema(a)}").Concat(new[]
            {
                $"\"name\": {{ \"type\": \"string\", \"description\": {Quote(LayerKinds.Common[0].Doc)} }}",
                "\"in\": { \"$ref\": \"#/definitions/valueNames\" }",
                "\"as\": { \"$ref\": \"#/definitions/outputNames\" }",
            }));
            var required = kind.Args.Where(a => a.Required).Select(a => Quote(a.Name)).ToList();
            var args = $"{{ \"type\": \"object\", \"additionalProperties\": false{(required.Count > 0 ? $", \"required\": [{string.Join(", ", required)}]" : "")}, \"properties\": {{ {properties} }} }}";
            var shorthand = kind.ScalarArg is { } scalar ? $", {ArgSchema(kind.Arg(scalar)!)}" : "";
            w.Raw("layer." + kind.Name,
                $"{{ \"type\": \"object\", \"additionalProperties\": false, \"required\": [{Quote(kind.Name)}], \"description\": {Quote(kind.Doc)}, \"properties\": {{ {Quote(kind.Name)}: {{ \"anyOf\": [ {{ \"type\": \"null\" }}{shorthand}, {args} ] }} }} }}");
        }

        w.Raw("objective", "{ \"type\": \"object\", \"additionalProperties\": false, \"properties\": { \"cross_entropy\": { \"type\": [\"object\", \"null\"], \"additionalProperties\": false, \"properties\": { \"label_smoothing\": { \"type\": \"number\" }, \"ignore_index\": { \"type\": \"integer\" } } }, \"focal\": { \"type\": [\"object\", \"null\"], \"additionalProperties\": false, \"properties\": { \"alpha\": { \"type\": \"number\" }, \"gamma\": { \"type\": \"number\" }, \"ignore_index\": { \"type\": \"integer\" } } }, \"aux\": { \"type\": \"object\", \"additionalProperties\": { \"$ref\": \"#/definitions/expression\" } } } }");
        w.Raw("train", "{ \"type\": \"object\", \"additionalProperties\": false, \"properties\": { "
            + "\"data\": { \"type\": \"string\", \"description\": \"Data to train on by default: a path or builtin:NAME.\" }, \"tokenizer\": { \"type\": \"string\", \"description\": \"gpt2, byte, char or bpe:N.\" }, "
            + "\"optimizer\": { \"type\": \"object\", \"additionalProperties\": false, \"properties\": { \"adamw\": { \"$ref\": \"#/definitions/adam\" }, \"adam\": { \"$ref\": \"#/definitions/adam\" }, \"sgd\": { \"type\": \"object\", \"additionalProperties\": false, \"properties\": { \"lr\": { \"$ref\": \"#/definitions/expression\" }, \"momentum\": { \"$ref\": \"#/definitions/expression\" }, \"weight_decay\": { \"$ref\": \"#/definitions/expression\" } } } } }, "
            + "\"schedule\": { \"type\": \"object\", \"additionalProperties\": false, \"properties\": { \"warmup\": { \"type\": [\"integer\", \"string\"], \"description\": \"Steps, or a share of all steps like 5%.\" }, \"constant\": { \"type\": [\"object\", \"null\"] }, \"cosine\": { \"type\": [\"object\", \"null\"], \"properties\": { \"min_lr\": { \"$ref\": \"#/definitions/expression\" } } }, \"cosine_restarts\": { \"type\": [\"object\", \"null\"], \"properties\": { \"t0\": { \"type\": \"integer\" }, \"t_mult\": { \"type\": \"integer\" }, \"min_lr\": { \"$ref\": \"#/definitions/expression\" } } }, \"plateau\": { \"type\": [\"object\", \"null\"], \"properties\": { \"factor\": { \"type\": \"number\" }, \"patience\": { \"type\": \"integer\" } } } } }, "
            + "\"clip_grad_norm\": { \"type\": [\"number\", \"null\"] }, \"accumulate\": { \"$ref\": \"#/definitions/expression\" }, \"batch\": { \"$ref\": \"#/definitions/expression\" }, \"context\": { \"$ref\": \"#/definitions/expression\" }, \"steps\": { \"$ref\": \"#/definitions/expression\" }, \"epochs\": { \"$ref\": \"#/definitions/expression\" }, "
            + "\"early_stopping\": { \"type\": \"object\", \"additionalProperties\": false, \"properties\": { \"patience\": { \"type\": \"integer\" }, \"min_delta\": { \"type\": \"number\" } } } } }");
        w.Raw("adam", "{ \"type\": \"object\", \"additionalProperties\": false, \"properties\": { \"lr\": { \"$ref\": \"#/definitions/expression\" }, \"betas\": { \"type\": \"array\", \"minItems\": 2, \"maxItems\": 2, \"items\": { \"type\": \"number\" } }, \"eps\": { \"type\": \"number\" }, \"weight_decay\": { \"$ref\": \"#/definitions/expression\" } } }");
        w.Close();
        w.Close();
        return w.ToString();
    }

    private static string ArgSchema(ArgInfo arg)
    {
        var description = $", \"description\": {Quote(arg.Doc)}";
        return arg.Kind switch
        {
            ArgKind.Int or ArgKind.Float => $"{{ \"allOf\": [ {{ \"$ref\": \"#/definitions/value\" }} ]{description} }}",
            ArgKind.Bool => $"{{ \"type\": [\"boolean\", \"string\"]{description} }}",
            ArgKind.Enum => $"{{ \"enum\": [{string.Join(", ", arg.Values!.Select(Quote))}]{description} }}",
            ArgKind.Body => $"{{ \"allOf\": [ {{ \"$ref\": \"#/definitions/layers\" }} ]{description} }}",
            _ => $"{{ \"type\": \"string\"{description} }}",
        };
    }

    private static string Quote(string text)
    {
        var result = new StringBuilder("\"");
        foreach (var c in text)
        {
            switch (c)
            {
                case '"': result.Append("\\\""); break;
                case '\\': result.Append("\\\\"); break;
                case '\n': result.Append("\\n"); break;
                default: result.Append(c); break;
            }
        }
        return result.Append('"').ToString();
    }

    /// <summary>A tiny pretty-printer: one property per line at each object level.</summary>
    private sealed class Json
    {
        private readonly StringBuilder _text = new();
        private readonly Stack<bool> _first = new();
        private int _indent;

        public void Open()
        {
            _text.Append("{\n");
            _indent++;
            _first.Push(true);
        }

        public void Close()
        {
            _first.Pop();
            _indent--;
            _text.Append('\n').Append(' ', _indent * 2).Append('}');
            if (_indent == 0) _text.Append('\n');
        }

        public void Key(string name)
        {
            if (!_first.Pop()) _text.Append(",\n");
            _first.Push(false);
            _text.Append(' ', _indent * 2).Append(Quote(name)).Append(": ");
        }

        public void Prop(string name, string value)
        {
            Key(name);
            _text.Append(Quote(value));
        }

        public void Raw(string name, string json)
        {
            Key(name);
            _text.Append(json);
        }

        public override string ToString() => _text.ToString();
    }
}
