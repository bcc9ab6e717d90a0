using System.Runtime.CompilerServices;
using Sillon.Data;

namespace Sillon.Tests.Fixtures;

internal static class StrictConnections
{
    /// <summary>
    /// Every server started in the tests refuses a request's second open connection (see
    /// <see cref="Database.RefuseSecondConnection"/>), so the PostgreSQL pass finds any handler
    /// that could deadlock a bounded pool under load.
    /// </summary>
    [ModuleInitializer]
    internal static void Refuse() => Database.RefuseSecondConnection = true;
}
