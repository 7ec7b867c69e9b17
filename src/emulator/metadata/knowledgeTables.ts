import { ACTIVE_INACTIVE, col, defineTable } from './defineTable.js';
import { withGermanLabels } from './localizedLabels.js';
import type { TableDef } from './types.js';

/**
 * Question-and-answer pairs of the sample organisation's knowledge base. Dataverse has no standard
 * table for them (the entity reference lists none; Copilot Studio keeps its topics in
 * `botcomponent`, which is bot configuration rather than knowledge a user reads), so the org has
 * one from its own solution, named with the default publisher's prefix (`new_`, as custom tables
 * are here: "Custom names carry a publisher prefix"), not an `msdyn_` name no Microsoft solution
 * documents. Its choice values start at the publisher's option value prefix (100,000,000), as
 * custom choices do (create-edit-global-option-sets,
 * https://learn.microsoft.com/power-apps/maker/data-platform/custom-picklists).
 */
export const qnaTable: TableDef = withGermanLabels(
  defineTable(
    {
      logicalName: 'new_qna',
      schemaName: 'new_qna',
      entitySetName: 'new_qnas',
      displayName: 'QnA pair',
      displayCollectionName: 'QnA pairs',
      description: 'A question customers or agents ask, with the approved answer.',
      objectTypeCode: 10610,
      privilegeName: 'new_qna',
      primaryNameAttribute: 'new_question',
      isCustom: true,
      ...ACTIVE_INACTIVE,
    },
    [
      col.text('new_question', 'Question', 400, { required: 'ApplicationRequired' }),
      col.memo('new_answer', 'Answer', 20000),
      col.choice('new_answertype', 'Answer type', [
        [100000000, 'Simple'],
        [100000001, 'Card'],
        [100000002, 'Dialog'],
      ]),
      col.text('new_category', 'Category', 100),
    ],
  ),
);

/** Tables the sample organisation's own solutions add beside the standard ones. */
export const SOLUTION_TABLES: readonly TableDef[] = [qnaTable];
