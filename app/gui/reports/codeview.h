// The Code tab: a read-only listing (codelisting.h) whose trapping instruction is highlighted and
// scrolled to whenever the tab is shown, and whose bytes before the function's start are grey.
#pragma once

#include "codelisting.h"

#include <QPlainTextEdit>

namespace kms::gui {

class CodeView : public QPlainTextEdit
{
    Q_OBJECT
public:
    explicit CodeView(QWidget *parent = nullptr);

    void setListing(const CodeListing &listing);
    int trapLine() const { return m_listing.trapLine; }
    // Whether the trapping line is within the visible part of the view.
    bool trapLineVisible() const;

protected:
    void showEvent(QShowEvent *event) override;

private:
    void scrollToTrap();

    CodeListing m_listing;
};

} // namespace kms::gui
