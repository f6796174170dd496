/** Names inside and around the export ZIP: job folders and the download's file name. */
import { describe, expect, it } from 'vitest';
import { attachmentDisposition } from '../../src/server/export/disposition.ts';
import { FolderNames, safeSegment } from '../../src/server/export/folder-names.ts';

describe('job folders', () => {
  it('keep readable names, replace what file systems forbid, and refuse empty ones', () => {
    expect(safeSegment('subject=math, grade=3')).toBe('subject=math, grade=3');
    expect(safeSegment('Mathématiques 数学')).toBe('Mathématiques 数学');
    expect(safeSegment('a/b\\c:d*e?f"g<h>i|j')).toBe('a_b_c_d_e_f_g_h_i_j');
    expect(safeSegment('../../etc/passwd')).toBe('_.._etc_passwd');
    expect(safeSegment('line\nbreak\ttab')).toBe('line_break_tab');
    expect(safeSegment(' .hidden. ')).toBe('hidden');
    expect(safeSegment('CON')).toBe('_CON');
    expect(safeSegment('nul.txt')).toBe('_nul.txt');
    expect(safeSegment('x'.repeat(300))).toHaveLength(100);
    for (const empty of [null, '', '...', '   ', '///']) expect(safeSegment(empty)).toBeNull();
  });

  it('are unique within an archive, ignoring case', () => {
    const names = new FolderNames();
    expect(names.take({ id: 'id-1', name: 'report' })).toBe('report');
    expect(names.take({ id: 'id-2', name: 'Report' })).toBe('Report~id-2');
    expect(names.take({ id: 'id-3', name: null })).toBe('id-3');
    // `~` is not kept in names, so no name can take a suffixed folder.
    expect(names.take({ id: 'id-5', name: 'report~id-2' })).toBe('report_id-2');
    expect(names.take({ id: 'id-6', name: 'REPORT' })).toBe('REPORT~id-6');
    expect(names.take({ id: 'id-4', name: '///' })).toBe('id-4');
  });
});

describe('the download file name', () => {
  it('is quoted ASCII plus the exact UTF-8 name, and cannot break the header', () => {
    expect(attachmentDisposition('Q3 reports', 'zip')).toBe(
      `attachment; filename="Q3 reports.zip"; filename*=UTF-8''Q3%20reports.zip`,
    );
    expect(attachmentDisposition('Rapport été', 'zip')).toBe(
      `attachment; filename="Rapport _t_.zip"; filename*=UTF-8''Rapport%20%C3%A9t%C3%A9.zip`,
    );
    const hostile = attachmentDisposition('a"b\r\nSet-Cookie: x=1; y', 'zip');
    expect(hostile).not.toMatch(/[\r\n]/);
    expect(hostile.match(/"/g)).toHaveLength(2);
    expect(attachmentDisposition('', 'zip')).toContain('filename="export.zip"');
  });
});
