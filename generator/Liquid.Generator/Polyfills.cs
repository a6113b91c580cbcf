// netstandard2.0 lacks the types that records and init-only setters need; the compiler only
// requires that they exist.
namespace System.Runtime.CompilerServices
{
    internal static class IsExternalInit { }
}
