import { describe, expect, it } from 'vitest';

import { and, contains, entityPath, eq, guid, inList, isFilter, literal, not, ODataBuildError, or, queryFunction, renderQuery } from '../../src/dataverse/odata.js';

describe('OData building', () => {
  it('quotes strings and doubles embedded quotes', () => {
    expect(literal("O'Brien")).toBe("'O''Brien'");
    expect(eq('name', "x' or 1 eq 1 or name eq '").text).toBe("name eq 'x'' or 1 eq 1 or name eq '''");
    expect(contains('fullname', "')")).toMatchObject({ text: "contains(fullname,''')')" });
  });

  it('only accepts real GUIDs, unquoted', () => {
    expect(literal(guid('A11CE000-0000-4000-8000-000000000001'))).toBe('a11ce000-0000-4000-8000-000000000001');
    expect(() => guid("a11ce000-0000-4000-8000-000000000001' or 1 eq 1")).toThrow(ODataBuildError);
    expect(() => entityPath('accounts', '1 or 1')).toThrow(ODataBuildError);
    expect(entityPath('accounts', 'a11ce000-0000-4000-8000-000000000001')).toBe('accounts(a11ce000-0000-4000-8000-000000000001)');
  });

  it('refuses property names that are not identifiers', () => {
    for (const bad of ['name eq 1 or x', 'name)', "a'", '', 'a/b/c/d']) expect(() => eq(bad, 1)).toThrow(ODataBuildError);
    expect(eq('parentcustomerid_account/name', 'x').text).toBe("parentcustomerid_account/name eq 'x'");
  });

  it('composes filters and skips falsy parts', () => {
    const f = and(eq('statecode', 0), false, undefined, or(contains('name', 'a'), contains('name', 'b')), not(eq('x', null)));
    expect(f?.text).toBe("(statecode eq 0) and ((contains(name,'a')) or (contains(name,'b'))) and (not (x eq null))");
    expect(and()).toBeUndefined();
    expect(isFilter({ text: 'x' })).toBe(false);
  });

  it('renders query functions and In lists', () => {
    expect(queryFunction('LastXDays', 'createdon', 7).text).toBe("Microsoft.Dynamics.CRM.LastXDays(PropertyName='createdon',PropertyValue=7)");
    expect(inList('statuscode', [1, 2]).text).toBe('Microsoft.Dynamics.CRM.In(PropertyName=\'statuscode\',PropertyValues=["1","2"])');
    expect(inList('leadid', [guid('0A6E9E33-0000-4000-8000-000000000001'), "O'Brien"]).text).toBe('Microsoft.Dynamics.CRM.In(PropertyName=\'leadid\',PropertyValues=["0a6e9e33-0000-4000-8000-000000000001","O\'Brien"])');
    expect(() => queryFunction('LastXDays', "createdon',PropertyValue=1) or (", 1)).toThrow(ODataBuildError);
  });

  it('percent-encodes the whole query string (no form encoding)', () => {
    const qs = renderQuery({ select: ['name'], filter: eq('name', 'a & b + c #1'), top: 5, orderby: [{ property: 'name', descending: true }] });
    expect(qs).toBe(`$select=name&$filter=${encodeURIComponent("name eq 'a & b + c #1'")}&$orderby=name%20desc&$top=5`);
    expect(qs).not.toContain('+');
    expect(() => renderQuery({ select: ['name'], top: -1 })).toThrow(ODataBuildError);
    expect(() => renderQuery({ select: ['name,accountid'] })).toThrow(ODataBuildError);
  });
});
