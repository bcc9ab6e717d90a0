using Sillon.Cli;

// Program.cs stays short: the command line decides what runs; Cli/ holds each command.
return await Commands.Root().Parse(args).InvokeAsync();

public partial class Program;
