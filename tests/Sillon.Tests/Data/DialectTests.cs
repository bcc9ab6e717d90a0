using Npgsql;
using Sillon.Data;

namespace Sillon.Tests.Data;

/// <summary>Choosing the database from the --database value: no server needed.</summary>
public sealed class DialectTests
{
    [Theory]
    [InlineData("postgres://sillon:pa%3Ass@db.example:6543/music", "db.example", 6543, "music", "sillon", "pa:ss")]
    [InlineData("postgresql://sillon@localhost/sillon", "localhost", 5432, "sillon", "sillon", null)]
    [InlineData("postgres://u:p@127.0.0.1:5433/db?sslmode=require", "127.0.0.1", 5433, "db", "u", "p")]
    [InlineData("Host=pg;Port=5000;Database=cat;Username=x", "pg", 5000, "cat", "x", null)]
    public void Database_urls_become_npgsql_connection_strings(string url, string host, int port, string database, string user, string? password)
    {
        var b = new NpgsqlConnectionStringBuilder(PostgresDialect.ConnectionString(url));
        Assert.Equal((host, port, database, user, password), (b.Host, b.Port, b.Database, b.Username, b.Password));
    }

    [Fact]
    public void Sslmode_in_the_url_is_kept()
    {
        Assert.Equal(SslMode.Require, new NpgsqlConnectionStringBuilder(PostgresDialect.ConnectionString("postgres://u@h/db?sslmode=require")).SslMode);
    }

    [Theory]
    [InlineData("postgres://u@h/db")]
    [InlineData("Host=h;Database=db;Username=u")]
    public void Hot_statements_are_prepared_on_the_server_planned_as_the_server_chooses_and_pooled_connections_are_not_reset(string url)
    {
        var b = new NpgsqlConnectionStringBuilder(PostgresDialect.ConnectionString(url));
        Assert.Equal((128, 2, null, true), (b.MaxAutoPrepare, b.AutoPrepareMinUsages, b.Options, b.NoResetOnClose));
    }

    [Theory]
    [InlineData("postgres://u@127.0.0.1:5499/db", true)]
    [InlineData("postgres://u@localhost/db", true)]
    [InlineData("postgres://u@[::1]:5432/db", true)]
    [InlineData("Host=/var/run/postgresql;Database=db", true)]
    [InlineData("postgres://u@db.internal/db", false)]
    [InlineData("Host=10.0.0.5;Database=db", false)]
    public void A_database_on_this_machine_gets_two_connections_per_core_and_one_elsewhere_npgsqls_default(string url, bool local)
    {
        var b = new NpgsqlConnectionStringBuilder(PostgresDialect.ConnectionString(url));
        Assert.Equal(local ? PostgresDialect.LocalPoolSize : new NpgsqlConnectionStringBuilder().MaxPoolSize, b.MaxPoolSize);
    }

    [Theory]
    [InlineData("postgres://u@127.0.0.1/db?Maximum%20Pool%20Size=50")]
    [InlineData("Host=localhost;Database=db;MaxPoolSize=50")]
    public void The_operators_pool_size_wins(string url)
    {
        Assert.Equal(50, new NpgsqlConnectionStringBuilder(PostgresDialect.ConnectionString(url)).MaxPoolSize);
    }

    [Theory]
    [InlineData("postgres://u@h/db?Max%20Auto%20Prepare=0&Options=-c%20work_mem%3D64MB&No%20Reset%20On%20Close=false")]
    [InlineData("Host=h;Database=db;Username=u;Max Auto Prepare=0;Options=-c work_mem=64MB;No Reset On Close=false")]
    public void The_operators_own_connection_settings_win(string url)
    {
        var b = new NpgsqlConnectionStringBuilder(PostgresDialect.ConnectionString(url));
        Assert.Equal((0, "-c work_mem=64MB", false), (b.MaxAutoPrepare, b.Options, b.NoResetOnClose));
    }

    [Theory]
    [InlineData("postgres://user@host:5432/")]
    [InlineData("mysql-server:3306")]
    [InlineData("postgres://")]
    public void Unusable_database_values_are_refused_with_the_expected_form(string url)
    {
        var e = Assert.Throws<DatabaseUrlException>(() => new Database(Path.GetTempPath(), url));
        Assert.Contains("postgres://", e.Message);
    }

    [Fact]
    public void Without_a_database_url_the_catalog_is_sqlite_in_the_data_folder()
    {
        var data = Path.Combine(Path.GetTempPath(), "sillon-dialect-" + Guid.NewGuid().ToString("N")[..8]);
        try
        {
            var db = new Database(data, null);
            Assert.False(db.IsPostgres);
            Assert.Equal(Path.Combine(Path.GetFullPath(data), "sillon.db"), db.FilePath);
            Assert.Equal("Sqlite", db.Dialect.Name);
            Assert.True(new Database(data, "postgres://u@h/db").IsPostgres);
        }
        finally { Directory.Delete(data, recursive: true); }
    }

    [Fact]
    public void Tables_are_copied_after_the_tables_they_point_at()
    {
        var order = SqliteToPostgres.ReferencedFirst(["playlist_tracks", "tracks", "playlists", "users", "albums", "folders"],
            [("playlist_tracks", "playlists"), ("playlist_tracks", "tracks"), ("playlists", "users"), ("tracks", "albums"), ("tracks", "folders"), ("folders", "folders")]);
        Assert.True(order.IndexOf("users") < order.IndexOf("playlists"));
        Assert.True(order.IndexOf("playlists") < order.IndexOf("playlist_tracks"));
        Assert.True(order.IndexOf("albums") < order.IndexOf("tracks"));
        Assert.True(order.IndexOf("folders") < order.IndexOf("tracks"));
        Assert.Equal(6, order.Count);
    }
}
