global using System.Text.Json.Nodes;
global using Drover.Core.Specs;
