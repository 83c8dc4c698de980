/**
 * Child process of queries.test.ts: analyses each query of a .kql file with Microsoft's Kusto
 * parser (`@kusto/language-service-next`, the Kusto.Language library compiled to JavaScript)
 * against the tables the queries read, and prints the error diagnostics as JSON. A child
 * because the library installs Bridge.NET globals that should not leak into the test process.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
require('@kusto/language-service-next/bridge.js');
require('@kusto/language-service-next/Kusto.Language.Bridge.js');

interface Diagnostic {
  Severity: string;
  Message: string;
  Start: number;
}
interface KustoLanguage {
  Symbols: {
    TableSymbol: { $ctor7: new (name: string, schema: string, description: null) => unknown };
    DatabaseSymbol: { $ctor2: new (name: string, alternate: null, members: unknown[]) => unknown };
  };
  GlobalState: { Default: { WithDatabase(database: unknown): unknown } };
  KustoCode: {
    ParseAndAnalyze(
      text: string,
      globals: unknown,
    ): { GetDiagnostics(): { Count: number; getItem(index: number): Diagnostic } };
  };
}
const kusto = (globalThis as unknown as { Kusto: { Language: KustoLanguage } }).Kusto.Language;

// Columns of the Application Insights tables (classic names, as in the resource's Logs blade)
// and of the workspace table AzureMetrics, as the queries use them.
const context =
  'operation_Name:string, operation_Id:string, operation_ParentId:string, ' +
  'operation_SyntheticSource:string, session_Id:string, user_Id:string, ' +
  'user_AuthenticatedId:string, user_AccountId:string, application_Version:string, ' +
  'client_Type:string, client_Model:string, client_OS:string, client_IP:string, ' +
  'client_City:string, client_StateOrProvince:string, client_CountryOrRegion:string, ' +
  'client_Browser:string, cloud_RoleName:string, cloud_RoleInstance:string, appId:string, ' +
  'appName:string, iKey:string, sdkVersion:string, itemId:string, itemType:string, ' +
  'itemCount:int, customDimensions:dynamic, customMeasurements:dynamic';
const TABLES: Record<string, string> = {
  requests:
    'timestamp:datetime, id:string, source:string, name:string, url:string, success:bool, ' +
    'resultCode:string, duration:real, performanceBucket:string, ' +
    context,
  dependencies:
    'timestamp:datetime, id:string, target:string, type:string, name:string, data:string, ' +
    'success:bool, resultCode:string, duration:real, performanceBucket:string, ' +
    context,
  traces: 'timestamp:datetime, message:string, severityLevel:int, ' + context,
  exceptions:
    'timestamp:datetime, problemId:string, handledAt:string, type:string, message:string, ' +
    'assembly:string, method:string, outerType:string, outerMessage:string, ' +
    'outerAssembly:string, outerMethod:string, innermostType:string, ' +
    'innermostMessage:string, innermostAssembly:string, innermostMethod:string, ' +
    'severityLevel:int, details:dynamic, ' +
    context,
  customMetrics:
    'timestamp:datetime, name:string, value:real, valueCount:int, valueSum:real, ' +
    'valueMin:real, valueMax:real, valueStdDev:real, ' +
    context,
  AzureMetrics:
    'TimeGenerated:datetime, ResourceId:string, SubscriptionId:string, ResourceGroup:string, ' +
    'ResourceProvider:string, Resource:string, MetricName:string, Total:real, Count:real, ' +
    'Maximum:real, Minimum:real, Average:real, TimeGrain:string, UnitName:string, Type:string',
};

const tables = Object.entries(TABLES).map(
  ([name, columns]) => new kusto.Symbols.TableSymbol.$ctor7(name, `(${columns})`, null),
);
const globals = kusto.GlobalState.Default.WithDatabase(
  new kusto.Symbols.DatabaseSymbol.$ctor2('appinsights', null, tables),
);

/** The queries of a .kql file: blocks separated by blank lines that hold more than comments. */
export function splitQueries(text: string): string[] {
  return text
    .split(/\n\s*\n/)
    .map((block) => block.trim())
    .filter((block) => block.split('\n').some((line) => !line.trim().startsWith('//')));
}

const file = process.argv[2];
if (file === undefined) throw new Error('usage: kql-check <file.kql>');
const report = splitQueries(readFileSync(file, 'utf8')).map((query) => {
  const diagnostics = kusto.KustoCode.ParseAndAnalyze(query, globals).GetDiagnostics();
  const errors: string[] = [];
  for (let index = 0; index < diagnostics.Count; index++) {
    const diagnostic = diagnostics.getItem(index);
    if (diagnostic.Severity === 'Error') {
      errors.push(
        `${diagnostic.Message} (at "${query.slice(diagnostic.Start, diagnostic.Start + 30)}")`,
      );
    }
  }
  return { query, errors };
});
console.log(JSON.stringify(report));
