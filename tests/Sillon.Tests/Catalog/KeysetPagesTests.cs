using Sillon.Catalog;
using Sillon.Data;

namespace Sillon.Tests.Catalog;

/// <summary>
/// The shape of "after the cursor" decides whether a deep page seeks its index or steps over rows:
/// the pages themselves are checked against plain ORDER BY queries in GeneratedCatalogTests.
/// </summary>
public sealed class KeysetPagesTests
{
    private static readonly KeysetPages.Column[] ByYear = [new("x.year"), new("x.sort_name"), new("x.id")];
    private static readonly KeysetPages.Column[] ByArtist = [new("lower(x.display_artist)"), new("x.sort_name"), new("x.id")];

    [Fact]
    public void Columns_going_one_way_continue_as_one_row_value_range_on_both_databases()
    {
        Assert.Equal("(x.year, x.sort_name, x.id) > (@c0, @c1, @c2)", KeysetPages.After(ByYear, SqliteDialect.Instance));
        Assert.Equal("(x.year, x.sort_name, x.id) > (@c0, @c1, @c2)", KeysetPages.After(ByYear, PostgresDialect.Instance));
        Assert.Equal("(x.created_at, x.id) < (@c0, @c1)",
            KeysetPages.After([new("x.created_at", Descending: true), new("x.id", Descending: true)], SqliteDialect.Instance));
    }

    [Fact]
    public void An_expression_column_is_a_row_value_on_postgres_only_because_sqlite_would_scan()
    {
        Assert.Equal("(lower(x.display_artist), x.sort_name, x.id) > (@c0, @c1, @c2)", KeysetPages.After(ByArtist, PostgresDialect.Instance));
        Assert.Equal("lower(x.display_artist) >= @c0 AND (lower(x.display_artist) > @c0 OR (x.sort_name >= @c1 AND (x.sort_name > @c1 OR (x.id > @c2))))",
            KeysetPages.After(ByArtist, SqliteDialect.Instance));
    }

    [Fact]
    public void Mixed_directions_continue_column_by_column()
    {
        KeysetPages.Column[] yearsDown = [new("x.year", Descending: true), new("x.sort_name"), new("x.id")];
        Assert.Equal("x.year <= @c0 AND (x.year < @c0 OR (x.sort_name >= @c1 AND (x.sort_name > @c1 OR (x.id > @c2))))",
            KeysetPages.After(yearsDown, PostgresDialect.Instance));
    }
}
