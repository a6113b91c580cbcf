// netstandard2.0 lacks the types that records and init-only setters need; the compiler only
// requires that they exist.
namespace System.Runtime.CompilerServices
{
    internal static class IsExternalInit { }

    /// <summary>Lets collection expressions (<c>[a, b]</c>) build an <see cref="Liquid.Generator.EquatableArray{T}"/>.</summary>
    [AttributeUsage(AttributeTargets.Class | AttributeTargets.Struct | AttributeTargets.Interface, Inherited = false)]
    internal sealed class CollectionBuilderAttribute(Type builderType, string methodName) : Attribute
    {
        public Type BuilderType { get; } = builderType;

        public string MethodName { get; } = methodName;
    }
}
