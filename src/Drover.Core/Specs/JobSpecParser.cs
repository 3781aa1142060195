namespace Drover.Core.Specs;

/// <summary>
/// Parses and validates job specs (SPEC §3) from JSON or Markdown with YAML front matter,
/// applying profile and built-in defaults. Rejections throw <see cref="JobSpecException"/> naming the field.
/// </summary>
public static class JobSpecParser
{
    // Implemented in the spec work package; see JobSpecJson for the canonical form.
}
